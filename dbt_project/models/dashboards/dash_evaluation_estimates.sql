{#-
    The evaluation's headline estimates for the Evaluation page (evaluation.estimates, docs/evaluation.md): the
    naive before/after beside the matched difference in differences, and the area designs (staggered adoption,
    interrupted time series), for the standard linkage and everyone (subgroup all). evaluation.its_estimates adds
    only per-locality rows, which this table does not carry (its pooled rows are the interrupted_time_series rows of
    evaluation.estimates). A design that could not be estimated (no people behind it) has no row.

    Disclosure: n_treated and n_comparison are counts (suppressed 1 to the threshold, rounded). For the person-level
    designs they count people; for the area designs, the outcome's events behind the estimate (area_months):
    staggered adoption, events in live locality-months (treated) and in locality-months not yet live (comparison);
    interrupted time series, every event in the series of the localities it pools (no comparison group: 0). Every
    statistic is shown only where n_treated survives, and, for a design with a comparison group, n_comparison too.
-#}
{%- set threshold = disclosure_threshold() -%}
{%- set area_outcomes = [
    'police_mental_health_incidents', 'ambulance_calls', 'ed_attendances', 'crisis_contacts', 's136_detentions'
] %}

with

estimates as (

    select * from {{ ref('estimates') }}
    where
        linkage = 'standard'
        and subgroup = 'all'
        and method in ('naive_before_after', 'did_matched', 'staggered_cs', 'interrupted_time_series')

),

area_events as (

    select
        area_months.locality_code,
        area_months.intervention,
        area_months.is_live,
        'area_' || series.series_outcome as outcome,
        series.series_outcome,
        case series.series_outcome
            {%- for outcome in area_outcomes %}
                when '{{ outcome }}' then area_months.{{ outcome }}
            {%- endfor %}
        end as events
    from {{ ref('area_months') }} as area_months
    cross join (
        values
        {%- for outcome in area_outcomes %}
            ('{{ outcome }}'){{ ',' if not loop.last }}
        {%- endfor %}
    ) as series (series_outcome)

),

method_notes as (

    select
        notes.method,
        notes.method_note
    from (
        values
        (
            'naive_before_after',
            'Before and after only, with no comparison group: it includes regression to the mean (people are '
            || 'referred at a peak of their crises, and their contacts fall afterwards whatever is done), so it '
            || 'overstates any benefit.'
        ),
        (
            'did_matched',
            'Against a matched comparison group: the comparison change is what regression to the mean and the '
            || 'trend alone did. Intention to treat: comparisons enrolled later stay in the comparison, which pulls '
            || 'the estimate towards no effect.'
        ),
        (
            'staggered_cs',
            'Area demand, with localities going live at different times and those not yet live as the comparison: '
            || 'a team working with a few dozen people per locality can move area demand by a few percent at most. '
            || 'With under ten localities, read the interval as descriptive.'
        ),
        (
            'interrupted_time_series',
            'Area demand before and after go-live, without a comparison area: descriptive, and a change in '
            || 'recording practice at go-live would look like an effect. With under ten localities, read the '
            || 'interval as descriptive.'
        )
    ) as notes (method, method_note)

),

pooled_localities as (

    select distinct
        locality_code,
        outcome as series_outcome
    from {{ ref('its_estimates') }}
    where locality_code != 'all' and method is not null

),

area_counts as (

    select
        intervention,
        outcome,
        'staggered_cs' as method,
        sum(events) filter (where is_live) as n_treated,
        sum(events) filter (where not is_live) as n_comparison
    from area_events
    group by intervention, outcome

    union all

    select
        area_events.intervention,
        area_events.outcome,
        'interrupted_time_series' as method,
        sum(area_events.events) as n_treated,
        0 as n_comparison
    from area_events
    inner join pooled_localities
        on
            area_events.locality_code = pooled_localities.locality_code
            and area_events.series_outcome = pooled_localities.series_outcome
    group by area_events.intervention, area_events.outcome

),

counted as (

    select
        estimates.intervention as intervention_code,
        estimates.outcome,
        coalesce(cast(estimates.window_months as varchar), 'whole_period') as window_months,
        estimates.method,
        case
            when estimates.measure = 'rate_ratio' then 'rate_ratio'
            when estimates.method = 'staggered_cs' then 'difference_per_locality_month'
            else 'difference_in_points'
        end as measure,
        estimates.estimate,
        estimates.ci_low,
        estimates.ci_high,
        estimates.treated_change,
        estimates.comparison_change,
        estimates.p_value,
        coalesce(estimates.small_n, true) as is_small_n,
        estimates.method in ('did_matched', 'staggered_cs') as has_comparison,
        cast(coalesce(estimates.n_treated, area_counts.n_treated) as bigint) as n_treated,
        cast(coalesce(estimates.n_comparison, area_counts.n_comparison) as bigint) as n_comparison
    from estimates
    left join area_counts
        on
            estimates.intervention = area_counts.intervention
            and estimates.outcome = area_counts.outcome
            and estimates.method = area_counts.method

),

controlled as (

    select
        *,
        n_treated > {{ threshold }} and (not has_comparison or n_comparison > {{ threshold }}) as is_shown,
        n_treated between 1 and {{ threshold }}
        or (has_comparison and n_comparison between 1 and {{ threshold }}) as is_withheld
    from counted
    where n_treated is not null and n_comparison is not null

),

noted as (

    select
        controlled.*,
        concat_ws(
            ' ',
            method_notes.method_note,
            case
                when controlled.is_small_n and controlled.method in ('naive_before_after', 'did_matched') then
                    'Small numbers: fewer than 50 treated people or comparisons, so the interval is wide; an '
                    || 'interval that includes no effect is not evidence of no effect.'
            end,
            case when controlled.is_withheld then 'Withheld: the numbers behind it are too small to show.' end,
            case
                when controlled.estimate is null and not controlled.is_withheld
                    then 'Not estimable: no events in a window, or no variation.'
            end
        ) as note
    from controlled
    left join method_notes on controlled.method = method_notes.method

)

select
    intervention_code,
    outcome,
    window_months,
    method,
    measure,
    case when is_shown then round(cast(estimate as double), 3) end as estimate,
    case when is_withheld then 'count_suppressed' end as estimate_suppression,
    case when is_shown then round(cast(ci_low as double), 3) end as ci_low,
    case when is_withheld then 'count_suppressed' end as ci_low_suppression,
    case when is_shown then round(cast(ci_high as double), 3) end as ci_high,
    case when is_withheld then 'count_suppressed' end as ci_high_suppression,
    {{ disclosure_statistic('round(cast(treated_change as double), 3)', 'n_treated') }} as treated_change,
    {{ disclosure_statistic_suppression('n_treated') }} as treated_change_suppression,
    {{ disclosure_statistic('round(cast(comparison_change as double), 3)', 'n_comparison') }} as comparison_change,
    {{ disclosure_statistic_suppression('n_comparison') }} as comparison_change_suppression,
    case when is_shown then round(cast(p_value as double), 4) end as p_value,
    case when is_withheld then 'count_suppressed' end as p_value_suppression,
    {{ disclosure_count_columns('n_treated') }},
    {{ disclosure_count_columns('n_comparison') }},
    is_small_n,
    note
from noted
