with

source as (

    select * from {{ source('pseudonymised', 'ambulance_calls') }}

),

renamed as (

    select
        cast(record_key as {{ type_text() }}) as call_key,
        cast(key_id as {{ type_text() }}) as pseudonymisation_key_id,
        cast(period as {{ type_text() }}) as delivery_period,
        cast(age_band as {{ type_text() }}) as age_band,
        cast(imd_decile as integer) as imd_decile,
        cast(locality_code as {{ type_text() }}) as locality_code,
        cast(call_received_at as timestamp) as call_received_at,
        cast(response_category as {{ type_text() }}) as response_category,
        cast(chief_complaint_code as {{ type_text() }}) as chief_complaint_code,
        cast(call_outcome as {{ type_text() }}) as call_outcome,
        cast(destination_site_code as {{ type_text() }}) as destination_site_code,
        cast(response_seconds as integer) as response_seconds,
        cast(is_mental_health_related as boolean) as is_mental_health_related,
        cast(sex as {{ type_text() }}) as sex,
        coalesce(trim(clinical_notes), '') != '' as has_clinical_notes
    from source

),

deduplicated as (

    -- an agency re-sends a record in a later delivery when it corrects it: keep the latest
    {{ first_row('renamed', partition_by='call_key', order_by='delivery_period desc') }}

)

select * from deduplicated
