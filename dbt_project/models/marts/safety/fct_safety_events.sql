-- Crisis and safety events, each defined once here (see the model's docs for every definition), with whether the
-- person's crisis plan was in force at the time.

with

contacts as (

    select * from {{ ref('fct_contacts') }}

),

mh_contacts as (

    select
        mh.*,
        person_keys.person_key
    from {{ ref('stg_mh_contacts__contacts') }} as mh
    inner join {{ ref('stg_identity__person_keys') }} as person_keys
        on person_keys.feed = 'mh_contacts' and mh.contact_key = person_keys.record_key

),

plans as (

    select * from {{ ref('int_crisis_plans_spanned') }}

),

police_s136 as (

    select
        person_key,
        contact_at
    from contacts
    where feed = 'police_incidents' and disposal_code = 'S136'

),

event_codes as (

    select * from {{ ref('safety_event_codes') }}

),

events as (

    -- events an agency code says on its own (definitions and sources in the seed safety_event_codes)
    select
        contacts.contact_key,
        contacts.person_key,
        contacts.feed,
        contacts.contact_at as event_at,
        event_codes.event_type
    from contacts
    inner join event_codes
        on
            contacts.feed = event_codes.feed
            and event_codes.code = case event_codes.code_column
                when 'contact_type_code' then contacts.contact_type_code
                when 'disposal_code' then contacts.disposal_code
            end
    union all
    -- a place-of-safety assessment the trust recorded without a police s136 for the person within a day
    select
        mh.contact_key,
        mh.person_key,
        'mh_contacts' as feed,
        mh.contact_at as event_at,
        's136_detention' as event_type
    from mh_contacts as mh
    where
        mh.mental_health_act_section_code = 'S136'
        and not exists (
            select 1 from police_s136
            where
                police_s136.person_key = mh.person_key
                and police_s136.contact_at between mh.contact_at - interval 1 day and mh.contact_at + interval 1 day
        )
    union all
    select
        contact_key,
        person_key,
        'mh_contacts' as feed,
        contact_at as event_at,
        'other_mental_health_act_detention' as event_type
    from mh_contacts
    where mental_health_act_section_code in ('S2', 'S3', 'S4', 'S5_2', 'S135')
    union all
    -- a crisis contact that ended without assessment or treatment: the person left ED before assessment or
    -- treatment, the ambulance call closed with no clinical assessment, or the trust cancelled a crisis-team contact
    select
        contact_key,
        person_key,
        feed,
        contact_at as event_at,
        'crisis_care_not_provided' as event_type
    from contacts
    where
        is_crisis
        and (
            (feed = 'ed_attendances' and disposal_code in ('LBA', 'LBT'))
            or (feed = 'ambulance_calls' and disposal_code = 'closed_without_assessment')
            or (
                feed = 'mh_contacts'
                and contact_type_code in ('CRISIS_ASSESS', 'CRISIS_FOLLOWUP', 'HOME_TREATMENT')
                and disposal_code = 'CANC_TR'
            )
        )

),

with_plans as (

    select
        events.*,
        exists(
            select 1 from plans
            where
                plans.person_key = events.person_key and events.event_at >= plans.plan_from
                and events.event_at < plans.plan_until
        ) as is_crisis_plan_in_force
    from events

),

final as (

    select
        md5(event_type || ':' || contact_key) as safety_event_key,
        contact_key,
        person_key,
        feed,
        event_at,
        cast(date_trunc('month', event_at) as date) as event_month,
        event_type,
        is_crisis_plan_in_force
    from with_plans
    union all
    -- the harm critics of past programmes named: no care in a crisis while the person's crisis plan was in force
    select
        md5('care_not_provided_while_crisis_plan_in_force:' || contact_key) as safety_event_key,
        contact_key,
        person_key,
        feed,
        event_at,
        cast(date_trunc('month', event_at) as date) as event_month,
        'care_not_provided_while_crisis_plan_in_force' as event_type,
        true as is_crisis_plan_in_force
    from with_plans
    where event_type = 'crisis_care_not_provided' and is_crisis_plan_in_force

)

select
    final.*,
    {{ equality_columns('people') }}
from final
left join {{ ref('dim_person') }} as people on final.person_key = people.person_key
