with

clinical_change as (
    select * from {{ ref('fct_clinical_change') }}
),

counted as (
    select
        measure_code,
        coalesce(intervention_code, 'outside_any_episode') as intervention_code,
        count(distinct person_key) as people,
        count(distinct person_key) filter (where change is not null) as people_with_change,
        count(distinct person_key) filter (where reliable_change = 'improved') as people_improved,
        count(distinct person_key) filter (where reliable_change = 'no_reliable_change') as people_no_reliable_change,
        count(distinct person_key) filter (where reliable_change = 'deteriorated') as people_deteriorated,
        -- a change with no reliable-change category (the measure has no published reliable-change index)
        count(distinct person_key) filter (
            where change is not null and reliable_change is null
        ) as people_change_not_classified,
        count(distinct person_key) filter (where is_clinically_significant) as people_clinically_significant,
        count(distinct person_key) filter (
            where is_clinically_significant_deterioration
        ) as people_clinically_significant_deterioration,
        avg(change) as mean_change
    from clinical_change
    group by measure_code, coalesce(intervention_code, 'outside_any_episode')
)

select
    measure_code,
    intervention_code,
    {{ disclosure_count_columns('people') }},
    {{ disclosure_count_columns('people_with_change') }},
    {{ disclosure_count_columns('people_improved') }},
    {{ disclosure_count_columns('people_no_reliable_change') }},
    {{ disclosure_count_columns('people_deteriorated') }},
    {{ disclosure_count_columns('people_change_not_classified') }},
    {{ disclosure_count_columns('people_clinically_significant') }},
    {{ disclosure_count_columns('people_clinically_significant_deterioration') }},
    {{ disclosure_statistic('round(mean_change, 1)', 'people_with_change') }} as mean_change,
    {{ disclosure_statistic_suppression('people_with_change') }} as mean_change_suppression
from counted
