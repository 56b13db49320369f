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
    {{ disclosure_count_columns('events') }},
    {{ disclosure_count_columns('people') }}
from counted
