-- What each agency record says about the person behind it (age band, sex, deprivation, ethnicity, disability,
-- neurodiversity), from every feed, keyed to the person: the input to dim_person's precedence rules.

with

person_keys as (

    select
        feed,
        record_key,
        person_key
    from {{ ref('stg_identity__person_keys') }}

),

records as (

    select
        'police_incidents' as feed,
        incident_key as record_key,
        opened_at as recorded_at,
        age_band,
        nullif(sex, 'U') as sex,
        imd_decile,
        locality_code,
        cast(null as varchar) as ethnicity_system,
        cast(null as varchar) as ethnicity_code,
        cast(null as boolean) as has_disability,
        cast(null as boolean) as is_neurodivergent
    from {{ ref('stg_police_incidents__incidents') }}
    union all
    select
        'ambulance_calls' as feed,
        call_key as record_key,
        call_received_at as recorded_at,
        age_band,
        nullif(sex, 'U') as sex,
        imd_decile,
        locality_code,
        null as ethnicity_system,
        null as ethnicity_code,
        null as has_disability,
        null as is_neurodivergent
    from {{ ref('stg_ambulance_calls__calls') }}
    union all
    select
        'ed_attendances' as feed,
        attendance_key as record_key,
        cast(arrival_date as timestamp) as recorded_at,
        age_band,
        nullif(sex, 'U') as sex,
        imd_decile,
        locality_code,
        'nhs_ethnic_category' as ethnicity_system,
        ethnic_category_code as ethnicity_code,
        null as has_disability,
        null as is_neurodivergent
    from {{ ref('stg_ed_attendances__attendances') }}
    union all
    select
        'mh_contacts' as feed,
        contact_key as record_key,
        contact_at as recorded_at,
        age_band,
        case when sex in ('M', 'F') then sex end as sex,
        imd_decile,
        locality_code,
        'nhs_ethnic_category' as ethnicity_system,
        ethnic_category_code as ethnicity_code,
        has_disability,
        is_neurodivergent
    from {{ ref('stg_mh_contacts__contacts') }}
    union all
    select
        'council_contacts' as feed,
        council_contact_key as record_key,
        contacted_at as recorded_at,
        age_band,
        null as sex,
        imd_decile,
        locality_code,
        'council_ethnicity' as ethnicity_system,
        ethnicity_code,
        has_disability,
        -- a learning disability as the primary support reason is recorded neurodiversity
        case when primary_support_reason_code = 'LD' then true end as is_neurodivergent
    from {{ ref('stg_council_contacts__contacts') }}
    union all
    select
        'mh_outcome_measures' as feed,
        item_response_key as record_key,
        cast(assessment_date as timestamp) as recorded_at,
        age_band,
        null as sex,
        imd_decile,
        locality_code,
        null as ethnicity_system,
        null as ethnicity_code,
        null as has_disability,
        null as is_neurodivergent
    from {{ ref('stg_mh_outcome_measures__item_responses') }}
    union all
    select
        'programme_caseload' as feed,
        caseload_event_key as record_key,
        cast(event_date as timestamp) as recorded_at,
        age_band,
        null as sex,
        imd_decile,
        locality_code,
        null as ethnicity_system,
        null as ethnicity_code,
        null as has_disability,
        null as is_neurodivergent
    from {{ ref('stg_programme_caseload__caseload_events') }}
    union all
    select
        'feedback' as feed,
        feedback_key as record_key,
        submitted_at as recorded_at,
        age_band,
        null as sex,
        imd_decile,
        locality_code,
        null as ethnicity_system,
        null as ethnicity_code,
        null as has_disability,
        null as is_neurodivergent
    from {{ ref('stg_feedback__responses') }}

)

select
    person_keys.person_key,
    records.feed,
    records.record_key,
    records.recorded_at,
    records.age_band,
    records.sex,
    records.imd_decile,
    records.locality_code,
    records.ethnicity_system,
    records.ethnicity_code,
    records.has_disability,
    records.is_neurodivergent
from records
inner join person_keys
    on records.feed = person_keys.feed and records.record_key = person_keys.record_key
