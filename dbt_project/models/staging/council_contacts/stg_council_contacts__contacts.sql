with

source as (

    select * from {{ source('pseudonymised', 'council_contacts') }}

),

renamed as (

    select
        cast(record_key as varchar) as council_contact_key,
        cast(key_id as varchar) as pseudonymisation_key_id,
        cast(period as varchar) as delivery_period,
        cast(age_band as varchar) as age_band,
        cast(imd_decile as integer) as imd_decile,
        cast(locality_code as varchar) as locality_code,
        cast(contacted_at as timestamp) as contacted_at,
        cast(service_code as varchar) as service_code,
        cast(contact_reason_code as varchar) as contact_reason_code,
        cast(contact_outcome_code as varchar) as contact_outcome_code,
        cast(ethnicity_code as varchar) as ethnicity_code,
        cast(has_disability as boolean) as has_disability,
        cast(primary_support_reason_code as varchar) as primary_support_reason_code,
        coalesce(trim(case_note), '') != '' as has_case_note
    from source

),

deduplicated as (

    -- an agency re-sends a record in a later delivery when it corrects it: keep the latest
    select * from renamed
    qualify row_number() over (partition by council_contact_key order by delivery_period desc) = 1

)

select * from deduplicated
