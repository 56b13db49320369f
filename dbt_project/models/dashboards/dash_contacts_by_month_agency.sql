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
    {{ disclosure_count_columns('contacts') }},
    {{ disclosure_count_columns('people') }},
    {{ disclosure_count_columns('crisis_contacts') }},
    {{ disclosure_count_columns('mental_health_contacts') }}
from counted
