{#-
    Safety events by each equality dimension on its own (marts.fct_safety_events, the dimensions from dim_person as
    dash_equality cuts them): people with an event of each type, beside the group's people in contact (the same
    count as dash_equality.people_in_contact), and the percent of the group with such an event. Every event type is
    shown against every group, a group with no such event as 0. The percent is of the published (rounded) counts,
    never the true ones: a percent of true counts beside rounded ones would give the true counts back.
-#}
with

people as (
    select * from {{ ref('dim_person') }}
),

safety_events as (
    select * from {{ ref('fct_safety_events') }}
),

dimensioned as (
    {{ equality_dimension_rows('people', ['person_key', 'contacts'], columns='dim_person') }}
),

groups as (
    -- as dash_equality counts them
    select
        dimension,
        dimension_value,
        count(*) filter (where contacts > 0) as people_in_contact
    from dimensioned
    group by dimension, dimension_value
),

event_types as (
    select distinct event_type from safety_events
),

people_with_events as (
    select distinct
        event_type,
        person_key
    from safety_events
),

with_events as (
    select
        people_with_events.event_type,
        dimensioned.dimension,
        dimensioned.dimension_value,
        count(distinct people_with_events.person_key) as people
    from people_with_events
    inner join dimensioned on people_with_events.person_key = dimensioned.person_key
    group by people_with_events.event_type, dimensioned.dimension, dimensioned.dimension_value
),

counted as (
    select
        event_types.event_type,
        groups.dimension,
        groups.dimension_value,
        coalesce(with_events.people, 0) as people,
        groups.people_in_contact
    from event_types
    cross join groups
    left join with_events
        on
            event_types.event_type = with_events.event_type
            and groups.dimension = with_events.dimension
            and groups.dimension_value = with_events.dimension_value
)

select
    event_type,
    dimension,
    dimension_value,
    {{ disclosure_count_columns('people') }},
    {{ disclosure_count_columns('people_in_contact') }},
    {{ disclosure_statistic(
        'round(100.0 * ' ~ disclosure_count('people') ~ ' / ' ~ disclosure_count('people_in_contact') ~ ', 1)',
        'least(people, people_in_contact)'
    ) }} as percent_of_people,
    {{ disclosure_statistic_suppression('least(people, people_in_contact)') }} as percent_of_people_suppression
from counted
