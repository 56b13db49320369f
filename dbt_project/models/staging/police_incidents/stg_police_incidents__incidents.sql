with

source as (

    select * from {{ source('pseudonymised', 'police_incidents') }}

),

renamed as (

    select
        cast(record_key as {{ type_text() }}) as incident_key,
        cast(key_id as {{ type_text() }}) as pseudonymisation_key_id,
        cast(period as {{ type_text() }}) as delivery_period,
        cast(age_band as {{ type_text() }}) as age_band,
        cast(imd_decile as integer) as imd_decile,
        cast(locality_code as {{ type_text() }}) as locality_code,
        cast(opened_at as timestamp) as opened_at,
        cast(closed_at as timestamp) as closed_at,
        cast(response_grade as {{ type_text() }}) as response_grade,
        cast(opening_code as {{ type_text() }}) as opening_code,
        cast(closing_code as {{ type_text() }}) as closing_code,
        cast(is_mental_health_related as boolean) as is_mental_health_related,
        cast(units_assigned as integer) as units_assigned,
        cast(sex as {{ type_text() }}) as sex,
        coalesce(trim(narrative), '') != '' as has_narrative
    from source

),

deduplicated as (

    -- an agency re-sends a record in a later delivery when it corrects it: keep the latest
    {{ first_row('renamed', partition_by='incident_key', order_by='delivery_period desc') }}

)

select * from deduplicated
