with

contacts as (

    select * from {{ ref('int_contacts_unioned') }}

),

classified as (

    select * from {{ ref('int_contacts_mental_health_classified') }}

),

joined as (

    select
        contacts.*,
        classified.is_mental_health_related as is_classified_mental_health_related,
        classified.classifier_source
    from contacts
    left join classified
        on contacts.contact_key = classified.contact_key and contacts.feed = classified.feed

),

flagged as (

    select
        *,
        case
            -- the mental health trust's own contacts are mental-health contacts by service
            when feed = 'mh_contacts' then true
            when feed in ('police_incidents', 'ambulance_calls', 'ed_attendances')
                then coalesce(is_classified_mental_health_related, false) or coalesce(agency_mental_health_flag, false)
            else false
        end as is_mental_health_related,
        case
            when feed = 'mh_contacts' then 'agency_tag'
            when coalesce(agency_mental_health_flag, false) and feed != 'council_contacts' then 'agency_tag'
            when classifier_source in ('codes', 'narrative') then classifier_source
            else 'none'
        end as mental_health_source
    from joined

)

select
    contact_key,
    person_key,
    feed,
    agency,
    contact_at,
    contact_month,
    contact_type_code,
    disposal_code,
    case
        when feed = 'mh_contacts'
            then contact_type_code in ('CRISIS_ASSESS', 'CRISIS_FOLLOWUP', 'HOME_TREATMENT', 'MHA_ASSESS', 'ADMISSION')
        when feed = 'council_contacts' then contact_type_code in ('HOMELESS', 'SAFEGUARDING', 'WELFARE_CHECK')
        else is_mental_health_related
    end as is_crisis,
    is_mental_health_related,
    mental_health_source,
    coalesce(agency_mental_health_flag, false) as is_agency_tagged_mental_health,
    coalesce(is_classified_mental_health_related, false) as is_classifier_mental_health_related,
    age_band,
    sex,
    imd_decile,
    locality_code
from flagged
