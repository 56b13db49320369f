{#-
    Linkage quality (marts.linkage_quality) as the dashboards show it: overall, by pair of feeds and by ethnicity
    group, with the records behind each row. measured_by is what the mart says (truth: against the synthetic truth,
    demo only; estimated: from the match probabilities). A rate is shown only where its records survive disclosure
    control; a row without a record count (the estimated agency pairs) has nothing to back a rate and is left out.
-#}
with

quality as (
    select * from {{ ref('linkage_quality') }}
),

counted as (
    select
        measured_by,
        scope,
        coalesce(feed_left, 'all') as feed_left,
        coalesce(feed_right, 'all') as feed_right,
        case
            when scope = 'ethnicity_group' then coalesce(ethnicity_group, 'unknown')
            else 'all'
        end as ethnicity_group,
        records,
        pairwise_precision,
        pairwise_recall,
        pairwise_f1,
        missed_link_rate,
        false_link_rate
    from quality
    where records is not null
)

select
    measured_by,
    scope,
    feed_left,
    feed_right,
    ethnicity_group,
    {{ disclosure_count_columns('records') }},
    {{ disclosure_statistic('round(pairwise_precision, 4)', 'records') }} as pairwise_precision,
    {{ disclosure_statistic_suppression('records') }} as pairwise_precision_suppression,
    {{ disclosure_statistic('round(pairwise_recall, 4)', 'records') }} as pairwise_recall,
    {{ disclosure_statistic_suppression('records') }} as pairwise_recall_suppression,
    {{ disclosure_statistic('round(pairwise_f1, 4)', 'records') }} as pairwise_f1,
    {{ disclosure_statistic_suppression('records') }} as pairwise_f1_suppression,
    {{ disclosure_statistic('round(missed_link_rate, 4)', 'records') }} as missed_link_rate,
    {{ disclosure_statistic_suppression('records') }} as missed_link_rate_suppression,
    {{ disclosure_statistic('round(false_link_rate, 4)', 'records') }} as false_link_rate,
    {{ disclosure_statistic_suppression('records') }} as false_link_rate_suppression
from counted
