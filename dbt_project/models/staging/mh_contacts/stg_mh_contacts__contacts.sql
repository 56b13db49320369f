with

source as (

    select * from {{ source('pseudonymised', 'mh_contacts') }}

),

renamed as (

    select
        cast(record_key as varchar) as contact_key,
        cast(key_id as varchar) as pseudonymisation_key_id,
        cast(period as varchar) as delivery_period,
        cast(age_band as varchar) as age_band,
        cast(imd_decile as integer) as imd_decile,
        cast(locality_code as varchar) as locality_code,
        cast(sex as varchar) as sex,
        cast(ethnic_category_code as varchar) as ethnic_category_code,
        cast(has_disability as boolean) as has_disability,
        cast(is_neurodivergent as boolean) as is_neurodivergent,
        cast(contact_at as timestamp) as contact_at,
        cast(contact_type_code as varchar) as contact_type_code,
        cast(attendance_code as varchar) as attendance_code,
        cast(referral_source_code as varchar) as referral_source_code,
        cast(mental_health_act_section_code as varchar) as mental_health_act_section_code,
        cast(has_crisis_plan as boolean) as has_crisis_plan,
        cast(is_crisis_plan_coproduced as boolean) as is_crisis_plan_coproduced,
        cast(team_code as varchar) as team_code,
        coalesce(trim(clinical_notes), '') != '' as has_clinical_notes
    from source

),

deduplicated as (

    -- an agency re-sends a record in a later delivery when it corrects it: keep the latest
    select * from renamed
    qualify row_number() over (partition by contact_key order by delivery_period desc) = 1

)

select * from deduplicated
