with

source as (

    select * from {{ source('pseudonymised', 'mh_outcome_measures') }}

),

renamed as (

    select
        cast(record_key as {{ type_text() }}) as item_response_key,
        cast(key_id as {{ type_text() }}) as pseudonymisation_key_id,
        cast(period as {{ type_text() }}) as delivery_period,
        cast(age_band as {{ type_text() }}) as age_band,
        cast(imd_decile as integer) as imd_decile,
        cast(locality_code as {{ type_text() }}) as locality_code,
        cast(assessment_key as {{ type_text() }}) as assessment_key,
        cast(assessment_date as date) as assessment_date,
        cast(measure_code as {{ type_text() }}) as measure_code,
        cast(timepoint_code as {{ type_text() }}) as timepoint_code,
        cast(item_number as integer) as item_number,
        cast(item_response as integer) as item_response,
        cast(administration_code as {{ type_text() }}) as administration_code
    from source

),

deduplicated as (

    -- an agency re-sends a record in a later delivery when it corrects it: keep the latest
    {{ first_row('renamed', partition_by='item_response_key', order_by='delivery_period desc') }}

)

select * from deduplicated
