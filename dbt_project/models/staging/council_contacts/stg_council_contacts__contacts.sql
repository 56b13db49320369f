with

source as (

    select * from {{ source('pseudonymised', 'council_contacts') }}

),

renamed as (

    select
        cast(record_key as {{ type_text() }}) as council_contact_key,
        cast(key_id as {{ type_text() }}) as pseudonymisation_key_id,
        cast(period as {{ type_text() }}) as delivery_period,
        cast(age_band as {{ type_text() }}) as age_band,
        cast(imd_decile as integer) as imd_decile,
        cast(locality_code as {{ type_text() }}) as locality_code,
        cast(contacted_at as timestamp) as contacted_at,
        cast(service_code as {{ type_text() }}) as service_code,
        cast(contact_reason_code as {{ type_text() }}) as contact_reason_code,
        cast(contact_outcome_code as {{ type_text() }}) as contact_outcome_code,
        cast(ethnicity_code as {{ type_text() }}) as ethnicity_code,
        cast(has_disability as boolean) as has_disability,
        cast(primary_support_reason_code as {{ type_text() }}) as primary_support_reason_code,
        coalesce(trim(case_note), '') != '' as has_case_note
    from source

),

deduplicated as (

    -- an agency re-sends a record in a later delivery when it corrects it: keep the latest
    {{ first_row('renamed', partition_by='council_contact_key', order_by='delivery_period desc') }}

)

select * from deduplicated
