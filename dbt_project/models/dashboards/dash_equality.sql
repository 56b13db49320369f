{#- Each equality dimension on its own (not crossed): a crossed table would be mostly suppressed cells. -#}
with

people as (
    select * from {{ ref('dim_person') }}
),

dimensioned as (
    {% for dimension, column in [
        ('ethnicity_group', 'ethnicity_group'),
        ('sex', 'sex'),
        ('age_band', 'age_band_latest'),
        ('imd_quintile', 'imd_quintile'),
        ('has_disability', 'has_disability'),
    ] -%}
        select
            '{{ dimension }}' as dimension,
            coalesce(cast({{ column }} as varchar), 'unknown') as dimension_value,
            person_key,
            contacts,
            crisis_contacts
        from people
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
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
    {{ disclosure_count('people_in_contact') }} as people_in_contact,
    {{ disclosure_count_suppression('people_in_contact') }} as people_in_contact_suppression,
    {{ disclosure_count('people_with_crisis_contacts') }} as people_with_crisis_contacts,
    {{ disclosure_count_suppression('people_with_crisis_contacts') }} as people_with_crisis_contacts_suppression,
    {{ disclosure_count('crisis_contacts') }} as crisis_contacts,
    {{ disclosure_count_suppression('crisis_contacts') }} as crisis_contacts_suppression
from counted
