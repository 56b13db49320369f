{#-
    Each equality dimension crossed with sex, one pair at a time (never three or more: those cells would be almost
    all suppressed). The person-level definitions are dash_equality's (marts.dim_person, a missing value as
    unknown), so a row of dash_equality is the sum of its cells here over sex.
-#}
with

people as (
    select * from {{ ref('dim_person') }}
),

dimensioned as (
    {{ equality_dimension_rows(
        'people',
        ['person_key', 'contacts', 'crisis_contacts', "coalesce(cast(sex as varchar), 'unknown') as sex"],
        columns='dim_person',
        dimensions=['ethnicity_group', 'age_band', 'imd_quintile', 'has_disability'],
    ) }}
),

counted as (
    select
        dimension,
        dimension_value,
        sex,
        count(*) filter (where contacts > 0) as people_in_contact,
        count(*) filter (where crisis_contacts > 0) as people_with_crisis_contacts,
        coalesce(sum(crisis_contacts), 0) as crisis_contacts
    from dimensioned
    group by dimension, dimension_value, sex
)

select
    dimension,
    dimension_value,
    sex,
    {{ disclosure_count_columns('people_in_contact') }},
    {{ disclosure_count_columns('people_with_crisis_contacts') }},
    {{ disclosure_count_columns('crisis_contacts') }}
from counted
