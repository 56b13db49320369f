with

source as (

    select * from {{ source('pseudonymised', 'police_incidents') }}

),

renamed as (

    select
        cast(record_key as varchar) as incident_key,
        cast(key_id as varchar) as pseudonymisation_key_id,
        cast(period as varchar) as delivery_period,
        cast(age_band as varchar) as age_band,
        cast(imd_decile as integer) as imd_decile,
        cast(locality_code as varchar) as locality_code,
        cast(opened_at as timestamp) as opened_at,
        cast(closed_at as timestamp) as closed_at,
        cast(response_grade as varchar) as response_grade,
        cast(opening_code as varchar) as opening_code,
        cast(closing_code as varchar) as closing_code,
        cast(is_mental_health_related as boolean) as is_mental_health_related,
        cast(units_assigned as integer) as units_assigned,
        cast(sex as varchar) as sex,
        coalesce(trim(narrative), '') != '' as has_narrative
    from source

),

deduplicated as (

    -- an agency re-sends a record in a later delivery when it corrects it: keep the latest
    select * from renamed
    qualify row_number() over (partition by incident_key order by delivery_period desc) = 1

)

select * from deduplicated
