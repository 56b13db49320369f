-- The evaluation panel: every person under each linkage, every month of the period (month index 0 = the first
-- month of fct_contacts, the county's first month, to its last), with zeros in the months they had no contact.
-- Contacts and s136 detentions are re-keyed record by record (feed, record_key) to the linkage's person key, so
-- a person the strict threshold splits or the lenient one merges has exactly the records its key holds.

with

person_keys as (

    select * from {{ ref('stg_identity__person_keys') }}

),

people as (

    select * from {{ ref('evaluation_person_keys') }}

),

period as (

    {{ evaluation_period() }}

),

months as (

    {{ evaluation_months('period') }}

),

record_keys as (

    select
        'standard' as linkage,
        feed,
        record_key,
        person_key
    from person_keys
    union all
    select
        'strict' as linkage,
        feed,
        record_key,
        person_key_strict as person_key
    from person_keys
    where person_key_strict is not null
    union all
    select
        'lenient' as linkage,
        feed,
        record_key,
        person_key_lenient as person_key
    from person_keys
    where person_key_lenient is not null

),

contacts as (

    select
        record_keys.linkage,
        record_keys.person_key,
        contacts.contact_month as month_start,
        contacts.agency,
        contacts.age_band
    from {{ ref('fct_contacts') }} as contacts
    inner join record_keys on contacts.feed = record_keys.feed and contacts.contact_key = record_keys.record_key

),

monthly_contacts as (

    select
        linkage,
        person_key,
        month_start,
        count(*) as crisis_contacts,
        count(*) filter (where agency = 'police') as police_contacts,
        count(*) filter (where agency = 'ambulance') as ambulance_contacts,
        count(*) filter (where agency = 'emergency_department') as emergency_department_contacts,
        count(*) filter (where agency = 'mental_health_trust') as mental_health_trust_contacts,
        count(*) filter (where agency = 'council') as council_contacts,
        max(age_band) as age_band
    from contacts
    group by linkage, person_key, month_start

),

monthly_s136 as (

    select
        record_keys.linkage,
        record_keys.person_key,
        events.event_month as month_start,
        count(*) as s136_detentions
    from {{ ref('fct_safety_events') }} as events
    inner join record_keys on events.feed = record_keys.feed and events.contact_key = record_keys.record_key
    where events.event_type = 's136_detention'
    group by record_keys.linkage, record_keys.person_key, events.event_month

),

panel as (

    select
        people.linkage,
        people.person_key,
        people.standard_person_key,
        months.month_start,
        months.month_index
    from people
    cross join months

)

select
    panel.linkage,
    panel.person_key,
    panel.month_start,
    panel.month_index,
    coalesce(monthly_contacts.crisis_contacts, 0) as crisis_contacts,
    coalesce(monthly_contacts.police_contacts, 0) as police_contacts,
    coalesce(monthly_contacts.ambulance_contacts, 0) as ambulance_contacts,
    coalesce(monthly_contacts.emergency_department_contacts, 0) as emergency_department_contacts,
    coalesce(monthly_contacts.mental_health_trust_contacts, 0) as mental_health_trust_contacts,
    coalesce(monthly_contacts.council_contacts, 0) as council_contacts,
    coalesce(monthly_s136.s136_detentions, 0) as s136_detentions,
    dim_person.sex,
    -- the band last recorded on a contact at or before this month; before the first, the earliest recorded band;
    -- then the latest
    coalesce(
        last_value(monthly_contacts.age_band ignore nulls) over (
            partition by panel.linkage, panel.person_key order by panel.month_index
            rows between unbounded preceding and current row
        ),
        dim_person.age_band_at_first_contact,
        dim_person.age_band_latest
    ) as age_band,
    dim_person.imd_quintile,
    dim_person.locality_code,
    dim_person.ethnicity_group,
    dim_person.has_disability,
    dim_person.is_neurodivergent,
    episodes.index_month_index as first_step_up_month_index,
    episodes.intervention as first_intervention
from panel
left join monthly_contacts
    on
        panel.linkage = monthly_contacts.linkage
        and panel.person_key = monthly_contacts.person_key
        and panel.month_start = monthly_contacts.month_start
left join monthly_s136
    on
        panel.linkage = monthly_s136.linkage
        and panel.person_key = monthly_s136.person_key
        and panel.month_start = monthly_s136.month_start
left join {{ ref('dim_person') }} as dim_person on panel.standard_person_key = dim_person.person_key
left join {{ ref('evaluation_episodes') }} as episodes
    on panel.linkage = episodes.linkage and panel.person_key = episodes.person_key
