{#-
    When each person's crisis plan was in force, from the mental health trust's contacts (Crisis_Plan_Recorded
    says whether a plan is on the record at each contact). A plan is in force from the first contact that records
    it until a contact records none; a single "no plan" between two contacts with a plan within 90 days is taken as
    a recording error, not a closed plan. A plan not recorded again for a year is taken to have lapsed 365 days
    after the last contact that recorded it.
-#}
{%- set error_days = 90 -%}
{%- set lapse_days = 365 %}

with

contacts as (

    select
        person_keys.person_key,
        mh.contact_at,
        mh.has_crisis_plan
    from {{ ref('stg_mh_contacts__contacts') }} as mh
    inner join {{ ref('stg_identity__person_keys') }} as person_keys
        on person_keys.feed = 'mh_contacts' and mh.contact_key = person_keys.record_key
    where mh.has_crisis_plan is not null

),

smoothed as (

    select
        person_key,
        contact_at,
        has_crisis_plan
        or (
            -- a "no plan" with a plan recorded before it and again within the error window
            lag(has_crisis_plan) over (partition by person_key order by contact_at)
            and lead(has_crisis_plan) over (partition by person_key order by contact_at)
            and lead(contact_at) over (partition by person_key order by contact_at)
            <= contact_at + interval {{ error_days }} day
        ) as is_plan_recorded
    from contacts

),

islands as (

    select
        *,
        sum(case when is_plan_recorded then 0 else 1 end) over (
            partition by person_key order by contact_at rows between unbounded preceding and current row
        ) as island
    from smoothed

),

closing as (

    -- the first contact recording no plan after an island of contacts recording one
    select
        person_key,
        island,
        contact_at as closed_at
    from islands
    where not is_plan_recorded

)

select
    islands.person_key,
    row_number() over (partition by islands.person_key order by min(islands.contact_at)) as plan_number,
    min(islands.contact_at) as plan_from,
    least(
        coalesce(min(closing.closed_at), max(islands.contact_at) + interval {{ lapse_days }} day),
        max(islands.contact_at) + interval {{ lapse_days }} day
    ) as plan_until,
    count(*) as contacts_recording_plan
from islands
left join closing
    on islands.person_key = closing.person_key and closing.island = islands.island + 1
where islands.is_plan_recorded
group by islands.person_key, islands.island
