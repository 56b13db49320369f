with

source as (

    select * from {{ source('pseudonymised', 'ed_attendances') }}

),

renamed as (

    select
        cast(record_key as {{ type_text() }}) as attendance_key,
        cast(key_id as {{ type_text() }}) as pseudonymisation_key_id,
        cast(period as {{ type_text() }}) as delivery_period,
        cast(age_band as {{ type_text() }}) as age_band,
        cast(imd_decile as integer) as imd_decile,
        cast(locality_code as {{ type_text() }}) as locality_code,
        cast(arrival_date as date) as arrival_date,
        cast(arrival_time as {{ type_text() }}) as arrival_time,
        cast(arrival_mode_code as {{ type_text() }}) as arrival_mode_code,
        cast(chief_complaint_code as {{ type_text() }}) as chief_complaint_code,
        cast(acuity_code as {{ type_text() }}) as acuity_code,
        cast(discharge_status_code as {{ type_text() }}) as discharge_status_code,
        cast(discharge_destination_code as {{ type_text() }}) as discharge_destination_code,
        cast(has_liaison_psychiatry_referral as boolean) as has_liaison_psychiatry_referral,
        cast(nhs_number_status_code as {{ type_text() }}) as nhs_number_status_code,
        cast(sex as {{ type_text() }}) as sex,
        cast(ethnic_category_code as {{ type_text() }}) as ethnic_category_code,
        coalesce(trim(clinical_notes), '') != '' as has_clinical_notes
    from source

),

deduplicated as (

    -- an agency re-sends a record in a later delivery when it corrects it: keep the latest
    {{ first_row('renamed', partition_by='attendance_key', order_by='delivery_period desc') }}

)

select * from deduplicated
