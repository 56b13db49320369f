with

contacts as (
    select * from {{ ref('fct_contacts') }}
),

counted as (
    select
        contact_month,
        agency,
        count(*) as contacts,
        count(distinct person_key) as people,
        count(*) filter (where is_crisis) as crisis_contacts,
        count(*) filter (where is_mental_health_related) as mental_health_contacts
    from contacts
    group by contact_month, agency
)

select
    contact_month,
    agency,
    {{ disclosure_count('contacts') }} as contacts,
    {{ disclosure_count_suppression('contacts') }} as contacts_suppression,
    {{ disclosure_count('people') }} as people,
    {{ disclosure_count_suppression('people') }} as people_suppression,
    {{ disclosure_count('crisis_contacts') }} as crisis_contacts,
    {{ disclosure_count_suppression('crisis_contacts') }} as crisis_contacts_suppression,
    {{ disclosure_count('mental_health_contacts') }} as mental_health_contacts,
    {{ disclosure_count_suppression('mental_health_contacts') }} as mental_health_contacts_suppression
from counted
