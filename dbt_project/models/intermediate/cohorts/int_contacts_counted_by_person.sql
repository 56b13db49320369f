-- Contacts per person for each agency (and all agencies together) and period (each calendar year, and the
-- whole period of the data): the input to the concentration measures.

with

contacts as (

    select
        person_key,
        agency,
        contact_at
    from {{ ref('fct_contacts') }}

),

scoped as (

    select
        person_key,
        agency as agency_scope,
        contact_at
    from contacts
    union all
    select
        person_key,
        'all' as agency_scope,
        contact_at
    from contacts

),

periods as (

    select
        person_key,
        agency_scope,
        'year' as period_kind,
        cast(year(contact_at) as varchar) as period
    from scoped
    union all
    select
        person_key,
        agency_scope,
        'whole_period' as period_kind,
        'all' as period
    from scoped

)

select
    agency_scope,
    period_kind,
    period,
    person_key,
    count(*) as contacts
from periods
group by agency_scope, period_kind, period, person_key
