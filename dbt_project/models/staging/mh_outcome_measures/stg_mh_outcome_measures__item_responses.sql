with

source as (

    select * from {{ source('pseudonymised', 'mh_outcome_measures') }}

),

renamed as (

    select
        cast(record_key as varchar) as item_response_key,
        cast(key_id as varchar) as pseudonymisation_key_id,
        cast(period as varchar) as delivery_period,
        cast(age_band as varchar) as age_band,
        cast(imd_decile as integer) as imd_decile,
        cast(locality_code as varchar) as locality_code,
        cast(assessment_key as varchar) as assessment_key,
        cast(assessment_date as date) as assessment_date,
        cast(measure_code as varchar) as measure_code,
        cast(timepoint_code as varchar) as timepoint_code,
        cast(item_number as integer) as item_number,
        cast(item_response as integer) as item_response,
        cast(administration_code as varchar) as administration_code
    from source

),

deduplicated as (

    -- an agency re-sends a record in a later delivery when it corrects it: keep the latest
    select * from renamed
    qualify row_number() over (partition by item_response_key order by delivery_period desc) = 1

)

select * from deduplicated
