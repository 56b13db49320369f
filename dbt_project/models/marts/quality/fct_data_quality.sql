-- Data quality per feed and delivery period, long: completeness of every published field (from the drift
-- assets' counts), NHS-number coverage (ED's status code), linkage rate (records whose person is seen by another
-- agency), tagging rate (the agency's own mental-health tag and our classifier's, side by side) and quarantine rate
-- (ingest's load audit). Counts and rates only.

with

flags as (

    select * from {{ ref('drift_flags') }}

),

audit as (

    select * from {{ ref('load_audit') }}

),

contacts as (

    select * from {{ ref('fct_contacts') }}

),

ed as (

    select * from {{ ref('stg_ed_attendances__attendances') }}

),

completeness as (

    select
        feed,
        delivery_period,
        'completeness' as measure,
        column_name as field_name,
        current_denominator - current_count as numerator,
        current_denominator as denominator
    from flags
    where metric_kind = 'missing'

),

quarantine as (

    select
        feed,
        delivery_period,
        'quarantine_rate' as measure,
        cast(null as varchar) as field_name,
        rows_quarantined as numerator,
        rows_received as denominator
    from audit
    where load_status != 'no_delivery'

),

nhs_coverage as (

    select
        'ed_attendances' as feed,
        delivery_period,
        'nhs_number_coverage' as measure,
        'nhs_number_status_code' as field_name,
        count(*) filter (where nhs_number_status_code in ('01', '02')) as numerator,
        count(*) as denominator
    from ed
    group by delivery_period

),

person_feeds as (

    select
        person_key,
        count(distinct feed) as feeds
    from contacts
    group by person_key

),

contact_months as (

    select
        contacts.feed,
        strftime(contacts.contact_month, '%Y-%m') as delivery_period,
        contacts.is_agency_tagged_mental_health,
        contacts.is_classifier_mental_health_related,
        coalesce(person_feeds.feeds, 1) > 1 as is_linked_across_agencies
    from contacts
    left join person_feeds on contacts.person_key = person_feeds.person_key

),

linkage as (

    select
        feed,
        delivery_period,
        'linkage_rate' as measure,
        cast(null as varchar) as field_name,
        count(*) filter (where is_linked_across_agencies) as numerator,
        count(*) as denominator
    from contact_months
    group by feed, delivery_period

),

tagging as (

    select
        feed,
        delivery_period,
        'agency_tagging_rate' as measure,
        cast(null as varchar) as field_name,
        count(*) filter (where is_agency_tagged_mental_health) as numerator,
        count(*) as denominator
    from contact_months
    where feed in ('police_incidents', 'ambulance_calls', 'ed_attendances')
    group by feed, delivery_period
    union all
    select
        feed,
        delivery_period,
        'classifier_tagging_rate' as measure,
        cast(null as varchar) as field_name,
        count(*) filter (where is_classifier_mental_health_related) as numerator,
        count(*) as denominator
    from contact_months
    where feed in ('police_incidents', 'ambulance_calls', 'ed_attendances')
    group by feed, delivery_period

),

unioned as (

    select * from completeness
    union all
    select * from quarantine
    union all
    select * from nhs_coverage
    union all
    select * from linkage
    union all
    select * from tagging

)

select
    cast(feed as varchar) as feed,
    cast(delivery_period as varchar) as delivery_period,
    cast(measure as varchar) as measure,
    cast(field_name as varchar) as field_name,
    cast(numerator as bigint) as numerator,
    cast(denominator as bigint) as denominator,
    case when denominator > 0 then cast(numerator as double) / denominator end as rate
from unioned
