with

source as (

    select * from {{ source('pseudonymised', 'programme_caseload') }}

),

renamed as (

    select
        cast(record_key as varchar) as caseload_event_key,
        cast(key_id as varchar) as pseudonymisation_key_id,
        cast(period as varchar) as delivery_period,
        cast(age_band as varchar) as age_band,
        cast(imd_decile as integer) as imd_decile,
        cast(locality_code as varchar) as locality_code,
        cast(intervention_episode_key as varchar) as intervention_episode_key,
        cast(event_date as date) as event_date,
        cast(event_type_code as varchar) as event_type_code,
        cast(intervention_code as varchar) as intervention_code,
        cast(referral_route_code as varchar) as referral_route_code,
        cast(step_down_reason_code as varchar) as step_down_reason_code,
        coalesce(trim(coordinator_note), '') != '' as has_coordinator_note
    from source

),

deduplicated as (

    -- an agency re-sends a record in a later delivery when it corrects it: keep the latest
    select * from renamed
    qualify row_number() over (partition by caseload_event_key order by delivery_period desc) = 1

)

select * from deduplicated
