with

events as (

    select * from {{ ref('stg_programme_caseload__caseload_events') }}

),

person_keys as (

    select
        record_key,
        person_key
    from {{ ref('stg_identity__person_keys') }}
    where feed = 'programme_caseload'

),

data_end as (

    select max(event_date) as last_event_on from events

),

keyed as (

    select
        events.*,
        person_keys.person_key
    from events
    inner join person_keys on events.caseload_event_key = person_keys.record_key

),

episodes as (

    select
        intervention_episode_key,
        -- an episode belongs to one person; if linkage split its events, the person with most events wins
        mode(person_key) as person_key,
        count(distinct person_key) as person_keys_seen,
        mode(intervention_code) as intervention_code,
        min(event_date) filter (where event_type_code = 'STEP_UP') as stepped_up_on,
        any_value(referral_route_code) filter (where event_type_code = 'STEP_UP') as referral_route_code,
        count(*) filter (where event_type_code = 'MANAGED') as managed_reviews,
        max(event_date) filter (where event_type_code = 'MANAGED') as last_reviewed_on,
        max(event_date) filter (where event_type_code = 'STEP_DOWN') as stepped_down_on,
        any_value(step_down_reason_code) filter (where event_type_code = 'STEP_DOWN') as step_down_reason_code,
        min(event_date) as first_event_on,
        max(event_date) as last_event_on
    from keyed
    group by intervention_episode_key

),

final as (

    select
        episodes.intervention_episode_key,
        episodes.person_key,
        episodes.intervention_code,
        episodes.referral_route_code,
        episodes.stepped_up_on is not null as is_stepped_up,
        episodes.stepped_up_on,
        episodes.managed_reviews > 0 as is_managed,
        episodes.managed_reviews,
        episodes.last_reviewed_on,
        episodes.stepped_down_on is not null as is_stepped_down,
        episodes.stepped_down_on,
        episodes.step_down_reason_code,
        episodes.stepped_down_on is null as is_open,
        coalesce(episodes.stepped_up_on, episodes.first_event_on) as episode_start_on,
        coalesce(episodes.stepped_down_on, data_end.last_event_on) as episode_end_on,
        datediff(
            'day', coalesce(episodes.stepped_up_on, episodes.first_event_on),
            coalesce(episodes.stepped_down_on, data_end.last_event_on)
        ) as episode_days,
        episodes.person_keys_seen
    from episodes
    cross join data_end

)

select
    final.*,
    {{ equality_columns('people') }}
from final
left join {{ ref('dim_person') }} as people on final.person_key = people.person_key
