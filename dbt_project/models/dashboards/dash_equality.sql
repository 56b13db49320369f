{#- Each equality dimension on its own (not crossed): a crossed table would be mostly suppressed cells. -#}
with

people as (
    select * from {{ ref('dim_person') }}
),

dimensioned as (
    {{ equality_dimension_rows('people', ['person_key', 'contacts', 'crisis_contacts'], columns='dim_person') }}
),

counted as (
    select
        dimension,
        dimension_value,
        count(*) filter (where contacts > 0) as people_in_contact,
        count(*) filter (where crisis_contacts > 0) as people_with_crisis_contacts,
        coalesce(sum(crisis_contacts), 0) as crisis_contacts
    from dimensioned
    group by dimension, dimension_value
)

select
    dimension,
    dimension_value,
    {{ disclosure_count_columns('people_in_contact') }},
    {{ disclosure_count_columns('people_with_crisis_contacts') }},
    {{ disclosure_count_columns('crisis_contacts') }}
from counted
