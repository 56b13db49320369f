-- The first step up of each person under each linkage: the episodes every evaluation design starts from. Under the
-- standard linkage the person is the warehouse's (fct_intervention_episodes); under the strict and lenient
-- linkages it is the alternative key of the episode's step-up record, so a person the other threshold splits or
-- merges has the episodes of the records it holds.

with

person_keys as (

    select * from {{ ref('stg_identity__person_keys') }}

),

period as (

    {{ evaluation_period() }}

),

episodes as (

    select
        intervention_episode_key,
        person_key,
        intervention_code,
        stepped_up_on
    from {{ ref('fct_intervention_episodes') }}
    where stepped_up_on is not null

),

step_up_records as (

    -- the episode's first step-up record (the one its stepped_up_on comes from)
    select
        intervention_episode_key,
        caseload_event_key
    from {{ ref('stg_programme_caseload__caseload_events') }}
    where event_type_code = 'STEP_UP'
    qualify row_number() over (
        partition by intervention_episode_key order by event_date, caseload_event_key
    ) = 1

),

alternative_keys as (

    select
        step_up_records.intervention_episode_key,
        person_keys.person_key_strict,
        person_keys.person_key_lenient
    from step_up_records
    inner join person_keys
        on person_keys.feed = 'programme_caseload' and step_up_records.caseload_event_key = person_keys.record_key

),

by_linkage as (

    select
        'standard' as linkage,
        intervention_episode_key,
        person_key,
        intervention_code,
        stepped_up_on
    from episodes
    union all
    select
        'strict' as linkage,
        episodes.intervention_episode_key,
        alternative_keys.person_key_strict as person_key,
        episodes.intervention_code,
        episodes.stepped_up_on
    from episodes
    inner join alternative_keys on episodes.intervention_episode_key = alternative_keys.intervention_episode_key
    where alternative_keys.person_key_strict is not null
    union all
    select
        'lenient' as linkage,
        episodes.intervention_episode_key,
        alternative_keys.person_key_lenient as person_key,
        episodes.intervention_code,
        episodes.stepped_up_on
    from episodes
    inner join alternative_keys on episodes.intervention_episode_key = alternative_keys.intervention_episode_key
    where alternative_keys.person_key_lenient is not null

),

first_episodes as (

    select * from by_linkage
    qualify row_number() over (
        partition by linkage, person_key order by stepped_up_on, intervention_episode_key
    ) = 1

)

select
    first_episodes.linkage,
    first_episodes.intervention_episode_key,
    first_episodes.person_key,
    first_episodes.intervention_code as intervention,
    first_episodes.stepped_up_on,
    cast(datediff('month', period.first_month, first_episodes.stepped_up_on) as integer) as index_month_index,
    -- the person's locality: dim_person's (from the address's LSOA) of the warehouse person standing for them
    people.locality_code
from first_episodes
cross join period
left join {{ ref('evaluation_person_keys') }} as linkage_keys
    on first_episodes.linkage = linkage_keys.linkage and first_episodes.person_key = linkage_keys.person_key
left join {{ ref('dim_person') }} as people on linkage_keys.standard_person_key = people.person_key
