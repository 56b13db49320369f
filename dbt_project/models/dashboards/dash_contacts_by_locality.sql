{#-
    Contacts by month, locality and agency (marts.fct_contacts): dash_contacts_by_month_agency split by the locality
    on each contact, with `unknown` where the contact has none, so the localities of a month and agency add up to
    that table's contacts.
-#}
with

contacts as (
    select * from {{ ref('fct_contacts') }}
),

located as (
    select
        contact_month,
        coalesce(nullif(trim(locality_code), ''), 'unknown') as locality_code,
        agency,
        person_key,
        is_crisis,
        is_mental_health_related
    from contacts
),

counted as (
    select
        contact_month,
        locality_code,
        agency,
        count(*) as contacts,
        count(distinct person_key) as people,
        count(*) filter (where is_crisis) as crisis_contacts,
        count(*) filter (where is_mental_health_related) as mental_health_contacts
    from located
    group by contact_month, locality_code, agency
)

select
    contact_month,
    locality_code,
    agency,
    {{ disclosure_count_columns('contacts') }},
    {{ disclosure_count_columns('people') }},
    {{ disclosure_count_columns('crisis_contacts') }},
    {{ disclosure_count_columns('mental_health_contacts') }}
from counted
