with

source as (

    select * from {{ source('pseudonymised', 'ed_attendances') }}

),

renamed as (

    select
        cast(record_key as varchar) as attendance_key,
        cast(key_id as varchar) as pseudonymisation_key_id,
        cast(period as varchar) as delivery_period,
        cast(age_band as varchar) as age_band,
        cast(imd_decile as integer) as imd_decile,
        cast(locality_code as varchar) as locality_code,
        cast(arrival_date as date) as arrival_date,
        cast(arrival_time as varchar) as arrival_time,
        cast(arrival_mode_code as varchar) as arrival_mode_code,
        cast(chief_complaint_code as varchar) as chief_complaint_code,
        cast(acuity_code as varchar) as acuity_code,
        cast(discharge_status_code as varchar) as discharge_status_code,
        cast(discharge_destination_code as varchar) as discharge_destination_code,
        cast(has_liaison_psychiatry_referral as boolean) as has_liaison_psychiatry_referral,
        cast(nhs_number_status_code as varchar) as nhs_number_status_code,
        cast(sex as varchar) as sex,
        cast(ethnic_category_code as varchar) as ethnic_category_code,
        coalesce(trim(clinical_notes), '') != '' as has_clinical_notes
    from source

),

deduplicated as (

    -- an agency re-sends a record in a later delivery when it corrects it: keep the latest
    select * from renamed
    qualify row_number() over (partition by attendance_key order by delivery_period desc) = 1

)

select * from deduplicated
