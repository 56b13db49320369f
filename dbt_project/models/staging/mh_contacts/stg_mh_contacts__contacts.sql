with

source as (

    select * from {{ source('pseudonymised', 'mh_contacts') }}

),

renamed as (

    select
        cast(record_key as {{ type_text() }}) as contact_key,
        cast(key_id as {{ type_text() }}) as pseudonymisation_key_id,
        cast(period as {{ type_text() }}) as delivery_period,
        cast(age_band as {{ type_text() }}) as age_band,
        cast(imd_decile as integer) as imd_decile,
        cast(locality_code as {{ type_text() }}) as locality_code,
        cast(sex as {{ type_text() }}) as sex,
        cast(ethnic_category_code as {{ type_text() }}) as ethnic_category_code,
        cast(has_disability as boolean) as has_disability,
        cast(is_neurodivergent as boolean) as is_neurodivergent,
        cast(contact_at as timestamp) as contact_at,
        cast(contact_type_code as {{ type_text() }}) as contact_type_code,
        cast(attendance_code as {{ type_text() }}) as attendance_code,
        cast(referral_source_code as {{ type_text() }}) as referral_source_code,
        cast(mental_health_act_section_code as {{ type_text() }}) as mental_health_act_section_code,
        cast(has_crisis_plan as boolean) as has_crisis_plan,
        cast(is_crisis_plan_coproduced as boolean) as is_crisis_plan_coproduced,
        cast(team_code as {{ type_text() }}) as team_code,
        coalesce(trim(clinical_notes), '') != '' as has_clinical_notes
    from source

),

deduplicated as (

    -- an agency re-sends a record in a later delivery when it corrects it: keep the latest
    {{ first_row('renamed', partition_by='contact_key', order_by='delivery_period desc') }}

)

select * from deduplicated
