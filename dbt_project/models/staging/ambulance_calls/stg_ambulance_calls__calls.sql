with

source as (

    select * from {{ source('pseudonymised', 'ambulance_calls') }}

),

renamed as (

    select
        cast(record_key as varchar) as call_key,
        cast(key_id as varchar) as pseudonymisation_key_id,
        cast(period as varchar) as delivery_period,
        cast(age_band as varchar) as age_band,
        cast(imd_decile as integer) as imd_decile,
        cast(locality_code as varchar) as locality_code,
        cast(call_received_at as timestamp) as call_received_at,
        cast(response_category as varchar) as response_category,
        cast(chief_complaint_code as varchar) as chief_complaint_code,
        cast(call_outcome as varchar) as call_outcome,
        cast(destination_site_code as varchar) as destination_site_code,
        cast(response_seconds as integer) as response_seconds,
        cast(is_mental_health_related as boolean) as is_mental_health_related,
        cast(sex as varchar) as sex,
        coalesce(trim(clinical_notes), '') != '' as has_clinical_notes
    from source

),

deduplicated as (

    -- an agency re-sends a record in a later delivery when it corrects it: keep the latest
    select * from renamed
    qualify row_number() over (partition by call_key order by delivery_period desc) = 1

)

select * from deduplicated
