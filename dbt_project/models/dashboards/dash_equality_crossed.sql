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
    {% for dimension, column in [
        ('ethnicity_group', 'ethnicity_group'),
        ('age_band', 'age_band_latest'),
        ('imd_quintile', 'imd_quintile'),
        ('has_disability', 'has_disability'),
    ] -%}
        select
            '{{ dimension }}' as dimension,
            coalesce(cast({{ column }} as varchar), 'unknown') as dimension_value,
            coalesce(cast(sex as varchar), 'unknown') as sex,
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
    {{ disclosure_count('people_in_contact') }} as people_in_contact,
    {{ disclosure_count_suppression('people_in_contact') }} as people_in_contact_suppression,
    {{ disclosure_count('people_with_crisis_contacts') }} as people_with_crisis_contacts,
    {{ disclosure_count_suppression('people_with_crisis_contacts') }} as people_with_crisis_contacts_suppression,
    {{ disclosure_count('crisis_contacts') }} as crisis_contacts,
    {{ disclosure_count_suppression('crisis_contacts') }} as crisis_contacts_suppression
from counted
