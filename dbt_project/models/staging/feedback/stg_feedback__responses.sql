with

source as (

    select * from {{ source('pseudonymised', 'feedback') }}

),

renamed as (

    select
        cast(record_key as varchar) as feedback_key,
        cast(key_id as varchar) as pseudonymisation_key_id,
        cast(period as varchar) as delivery_period,
        cast(age_band as varchar) as age_band,
        cast(imd_decile as integer) as imd_decile,
        cast(locality_code as varchar) as locality_code,
        cast(submitted_at as timestamp) as submitted_at,
        cast(service_code as varchar) as service_code,
        cast(channel_code as varchar) as channel_code,
        cast(rating as integer) as rating,
        cast(is_anonymous as boolean) as is_anonymous,
        coalesce(trim(feedback_comment), '') != '' as has_feedback_comment
    from source

),

deduplicated as (

    -- an agency re-sends a record in a later delivery when it corrects it: keep the latest
    select * from renamed
    qualify row_number() over (partition by feedback_key order by delivery_period desc) = 1

)

select * from deduplicated
