-- Points of the Lorenz curve of contacts over people: for each percentile of people, least contact first,
-- the share of all contacts they account for.

with

counts as (

    select * from {{ ref('int_contacts_counted_by_person') }}

),

ranked as (

    select
        agency_scope,
        period_kind,
        period,
        row_number() over (
            partition by agency_scope, period_kind, period order by contacts asc, person_key desc
        ) as rank_least_first,
        sum(contacts) over (
            partition by agency_scope, period_kind, period order by contacts asc, person_key desc
            rows between unbounded preceding and current row
        ) as cumulative_contacts
    from counts

),

populations as (

    select
        agency_scope,
        period_kind,
        period,
        count(*) as people,
        sum(contacts) as total_contacts
    from counts
    group by agency_scope, period_kind, period

),

percentiles as (

    select unnest(generate_series(0, 100)) as people_percentile

),

boundaries as (

    select
        populations.*,
        percentiles.people_percentile,
        cast(floor(percentiles.people_percentile / 100.0 * populations.people) as bigint) as people_below
    from populations
    cross join percentiles

)

select
    boundaries.agency_scope,
    boundaries.period_kind,
    boundaries.period,
    boundaries.people_percentile,
    boundaries.people_below / boundaries.people as share_of_people,
    coalesce(ranked.cumulative_contacts, 0) / boundaries.total_contacts as share_of_contacts
from boundaries
left join ranked
    on
        boundaries.agency_scope = ranked.agency_scope
        and boundaries.period_kind = ranked.period_kind
        and boundaries.period = ranked.period
        and boundaries.people_below = ranked.rank_least_first
