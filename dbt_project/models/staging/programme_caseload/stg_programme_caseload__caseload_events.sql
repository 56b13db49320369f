with

source as (

    select * from {{ source('pseudonymised', 'programme_caseload') }}

),

renamed as (

    select
        cast(record_key as {{ type_text() }}) as caseload_event_key,
        cast(key_id as {{ type_text() }}) as pseudonymisation_key_id,
        cast(period as {{ type_text() }}) as delivery_period,
        cast(age_band as {{ type_text() }}) as age_band,
        cast(imd_decile as integer) as imd_decile,
        cast(locality_code as {{ type_text() }}) as locality_code,
        cast(intervention_episode_key as {{ type_text() }}) as intervention_episode_key,
        cast(event_date as date) as event_date,
        cast(event_type_code as {{ type_text() }}) as event_type_code,
        cast(intervention_code as {{ type_text() }}) as intervention_code,
        cast(referral_route_code as {{ type_text() }}) as referral_route_code,
        cast(step_down_reason_code as {{ type_text() }}) as step_down_reason_code,
        coalesce(trim(coordinator_note), '') != '' as has_coordinator_note
    from source

),

deduplicated as (

    -- an agency re-sends a record in a later delivery when it corrects it: keep the latest
    {{ first_row('renamed', partition_by='caseload_event_key', order_by='delivery_period desc') }}

)

select * from deduplicated
