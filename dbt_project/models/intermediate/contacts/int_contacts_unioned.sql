-- Every contact with a crisis-facing agency in one shape, keyed to the person through the identity
-- staging model. Agency-specific codes stay as they are; what counts as a crisis is decided here, once.

with

person_keys as (

    select
        feed,
        record_key,
        person_key
    from {{ ref('stg_identity__person_keys') }}

),

police as (

    select
        incident_key as contact_key,
        'police_incidents' as feed,
        'police' as agency,
        opened_at as contact_at,
        opening_code as contact_type_code,
        closing_code as disposal_code,
        is_mental_health_related as agency_mental_health_flag,
        age_band,
        sex,
        imd_decile,
        locality_code
    from {{ ref('stg_police_incidents__incidents') }}

),

ambulance as (

    select
        call_key as contact_key,
        'ambulance_calls' as feed,
        'ambulance' as agency,
        call_received_at as contact_at,
        chief_complaint_code as contact_type_code,
        call_outcome as disposal_code,
        is_mental_health_related as agency_mental_health_flag,
        age_band,
        sex,
        imd_decile,
        locality_code
    from {{ ref('stg_ambulance_calls__calls') }}

),

emergency_department as (

    select
        attendance_key as contact_key,
        'ed_attendances' as feed,
        'emergency_department' as agency,
        -- arrival time is a separate HH:MM column in ECDS; a missing or malformed time falls back to midnight
        coalesce(
            try_cast(cast(arrival_date as varchar) || ' ' || arrival_time || ':00' as timestamp),
            cast(arrival_date as timestamp)
        ) as contact_at,
        chief_complaint_code as contact_type_code,
        discharge_status_code as disposal_code,
        -- ECDS has no mental-health flag; a liaison psychiatry referral is the department's own marker
        has_liaison_psychiatry_referral as agency_mental_health_flag,
        age_band,
        sex,
        imd_decile,
        locality_code
    from {{ ref('stg_ed_attendances__attendances') }}

),

mental_health_trust as (

    select
        contact_key,
        'mh_contacts' as feed,
        'mental_health_trust' as agency,
        contact_at,
        contact_type_code,
        attendance_code as disposal_code,
        true as agency_mental_health_flag,
        age_band,
        sex,
        imd_decile,
        locality_code
    from {{ ref('stg_mh_contacts__contacts') }}

),

council as (

    select
        council_contact_key as contact_key,
        'council_contacts' as feed,
        'council' as agency,
        contacted_at as contact_at,
        contact_reason_code as contact_type_code,
        contact_outcome_code as disposal_code,
        cast(null as boolean) as agency_mental_health_flag,
        age_band,
        cast(null as varchar) as sex,
        imd_decile,
        locality_code
    from {{ ref('stg_council_contacts__contacts') }}

),

unioned as (

    select * from police
    union all
    select * from ambulance
    union all
    select * from emergency_department
    union all
    select * from mental_health_trust
    union all
    select * from council

)

select
    unioned.contact_key,
    person_keys.person_key,
    unioned.feed,
    unioned.agency,
    unioned.contact_at,
    cast(date_trunc('month', unioned.contact_at) as date) as contact_month,
    unioned.contact_type_code,
    unioned.disposal_code,
    unioned.agency_mental_health_flag,
    unioned.age_band,
    nullif(unioned.sex, 'U') as sex,
    unioned.imd_decile,
    unioned.locality_code
from unioned
inner join person_keys
    on unioned.feed = person_keys.feed and unioned.contact_key = person_keys.record_key
