-- Re-keying moves records between people but never loses or copies one: under every linkage the panel holds every
-- contact of fct_contacts and every s136 detention of fct_safety_events exactly once. A linkage whose totals
-- differ is returned.
with

expected as (

    select
        (select count(*) from {{ ref('fct_contacts') }}) as contacts,
        (
            select count(*) from {{ ref('fct_safety_events') }}
            where event_type = 's136_detention'
        ) as s136_detentions

),

panel as (

    select
        linkage,
        sum(crisis_contacts) as contacts,
        sum(s136_detentions) as s136_detentions,
        sum(
            police_contacts + ambulance_contacts + emergency_department_contacts + mental_health_trust_contacts
            + council_contacts
        ) as agency_contacts
    from {{ ref('evaluation_person_months') }}
    group by linkage

)

select panel.linkage
from panel
cross join expected
where
    panel.contacts != expected.contacts
    or panel.agency_contacts != expected.contacts
    or panel.s136_detentions != expected.s136_detentions
