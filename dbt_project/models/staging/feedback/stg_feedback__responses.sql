with

source as (

    select * from {{ source('pseudonymised', 'feedback') }}

),

renamed as (

    select
        cast(record_key as {{ type_text() }}) as feedback_key,
        cast(key_id as {{ type_text() }}) as pseudonymisation_key_id,
        cast(period as {{ type_text() }}) as delivery_period,
        cast(age_band as {{ type_text() }}) as age_band,
        cast(imd_decile as integer) as imd_decile,
        cast(locality_code as {{ type_text() }}) as locality_code,
        cast(submitted_at as timestamp) as submitted_at,
        cast(service_code as {{ type_text() }}) as service_code,
        cast(channel_code as {{ type_text() }}) as channel_code,
        cast(rating as integer) as rating,
        cast(is_anonymous as boolean) as is_anonymous,
        coalesce(trim(feedback_comment), '') != '' as has_feedback_comment
    from source

),

deduplicated as (

    -- an agency re-sends a record in a later delivery when it corrects it: keep the latest
    {{ first_row('renamed', partition_by='feedback_key', order_by='delivery_period desc') }}

)

select * from deduplicated
