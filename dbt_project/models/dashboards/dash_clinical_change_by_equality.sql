{#-
    Clinical change by questionnaire measure and each equality dimension on its own (marts.fct_clinical_change, the
    dimensions as dash_equality cuts them). A person counts once per measure, whatever their interventions, as in
    dash_clinical_change; a person whose changes in different episodes fall in different categories counts in each,
    so the categories need not add up to people_with_change.
-#}
with

clinical_change as (
    select * from {{ ref('fct_clinical_change') }}
),

dimensioned as (
    {{ equality_dimension_rows(
        'clinical_change',
        ['measure_code', 'person_key', 'change', 'reliable_change', 'is_clinically_significant'],
    ) }}
),

counted as (
    select
        measure_code,
        dimension,
        dimension_value,
        count(distinct person_key) filter (where change is not null) as people_with_change,
        count(distinct person_key) filter (where reliable_change = 'improved') as people_improved,
        count(distinct person_key) filter (where reliable_change = 'no_reliable_change') as people_no_reliable_change,
        count(distinct person_key) filter (where reliable_change = 'deteriorated') as people_deteriorated,
        count(distinct person_key) filter (where is_clinically_significant) as people_clinically_significant
    from dimensioned
    group by measure_code, dimension, dimension_value
)

select
    measure_code,
    dimension,
    dimension_value,
    {{ disclosure_count_columns('people_with_change') }},
    {{ disclosure_count_columns('people_improved') }},
    {{ disclosure_count_columns('people_no_reliable_change') }},
    {{ disclosure_count_columns('people_deteriorated') }},
    {{ disclosure_count_columns('people_clinically_significant') }}
from counted
