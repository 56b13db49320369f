{#-
    Who is in each intervention: people with at least one episode of it, by each equality dimension on its own (as
    in dash_equality, with the same values). People in contact by the same dimensions are dash_equality's, not
    repeated here.
-#}
with

episodes as (
    select * from {{ ref('fct_intervention_episodes') }}
),

participants as (
    -- one row per person and intervention; the equality columns are dim_person's, carried by the episodes mart
    select distinct
        intervention_code,
        person_key,
        ethnicity_group,
        person_sex,
        person_age_band,
        imd_quintile,
        has_disability
    from episodes
),

dimensioned as (
    {{ equality_dimension_rows('participants', ['intervention_code', 'person_key']) }}
),

counted as (
    select
        intervention_code,
        dimension,
        dimension_value,
        count(distinct person_key) as people
    from dimensioned
    group by intervention_code, dimension, dimension_value
)

select
    intervention_code,
    dimension,
    dimension_value,
    {{ disclosure_count_columns('people') }}
from counted
