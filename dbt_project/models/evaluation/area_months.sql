-- Area-level monthly demand for the interrupted time series: every locality x every month of the period (month
-- index 0 = the first month of fct_contacts), zeros where nothing happened, with the high intensity team's
-- go-live in that locality. A contact belongs to the locality of the address on its own record
-- (fct_contacts.locality_code); a contact whose address has no locality is in no area.

with

contacts as (

    select * from {{ ref('fct_contacts') }}
    where locality_code is not null

),

rollout as (

    select
        locality_code,
        go_live_on
    from {{ ref('stg_reference__programme_rollout') }}
    where intervention = 'high_intensity_team'

),

period as (

    {{ evaluation_period() }}

),

months as (

    {{ evaluation_months('period') }}

),

localities as (

    select locality_code from contacts
    union
    select locality_code from rollout
    where locality_code is not null

),

monthly as (

    select
        locality_code,
        contact_month as month_start,
        count(*) filter (where agency = 'police' and is_mental_health_related) as police_mental_health_incidents,
        count(*) filter (where agency = 'ambulance') as ambulance_calls,
        count(*) filter (where agency = 'emergency_department') as ed_attendances,
        count(*) as crisis_contacts
    from contacts
    group by locality_code, contact_month

),

s136 as (

    select
        contacts.locality_code,
        events.event_month as month_start,
        count(*) as s136_detentions
    from {{ ref('fct_safety_events') }} as events
    inner join contacts on events.feed = contacts.feed and events.contact_key = contacts.contact_key
    where events.event_type = 's136_detention'
    group by contacts.locality_code, events.event_month

),

first_seen as (

    -- the month each person first had a contact in the locality
    select
        locality_code,
        min(contact_month) as month_start,
        person_key
    from contacts
    group by locality_code, person_key

),

newly_known as (

    select
        locality_code,
        month_start,
        count(*) as people
    from first_seen
    group by locality_code, month_start

),

go_live as (

    -- the month of go-live (a go-live part way through a month counts that month as live); null = never live
    select
        rollout.locality_code,
        cast(datediff('month', period.first_month, min(rollout.go_live_on)) as integer) as go_live_month_index
    from rollout
    cross join period
    group by rollout.locality_code, period.first_month

)

select
    localities.locality_code,
    months.month_start,
    months.month_index,
    coalesce(monthly.police_mental_health_incidents, 0) as police_mental_health_incidents,
    coalesce(monthly.ambulance_calls, 0) as ambulance_calls,
    coalesce(monthly.ed_attendances, 0) as ed_attendances,
    coalesce(monthly.crisis_contacts, 0) as crisis_contacts,
    coalesce(s136.s136_detentions, 0) as s136_detentions,
    cast(
        sum(coalesce(newly_known.people, 0)) over (
            partition by localities.locality_code order by months.month_index
            rows between unbounded preceding and current row
        ) as bigint
    ) as people_known,
    'high_intensity_team' as intervention,
    go_live.go_live_month_index,
    coalesce(months.month_index >= go_live.go_live_month_index, false) as is_live
from localities
cross join months
left join monthly
    on localities.locality_code = monthly.locality_code and months.month_start = monthly.month_start
left join s136
    on localities.locality_code = s136.locality_code and months.month_start = s136.month_start
left join newly_known
    on localities.locality_code = newly_known.locality_code and months.month_start = newly_known.month_start
left join go_live on localities.locality_code = go_live.locality_code
