with

safety_events as (
    select * from {{ ref('fct_safety_events') }}
),

counted as (
    select
        event_month,
        event_type,
        count(*) as events,
        count(distinct person_key) as people
    from safety_events
    group by event_month, event_type
)

select
    event_month,
    event_type,
    {{ disclosure_count('events') }} as events,
    {{ disclosure_count_suppression('events') }} as events_suppression,
    {{ disclosure_count('people') }} as people,
    {{ disclosure_count_suppression('people') }} as people_suppression
from counted
