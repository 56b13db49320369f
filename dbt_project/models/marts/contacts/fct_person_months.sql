-- The panel every evaluation uses: each person from the month of their first contact with a crisis-facing
-- agency to the last month of the data, with zeros in the months they had none.

with

contacts as (

    select * from {{ ref('fct_contacts') }}

),

data_end as (

    select max(contact_month) as last_month from contacts

),

spans as (

    select
        person_key,
        min(contact_month) as first_month
    from contacts
    group by person_key

),

person_months as (

    select
        spans.person_key,
        cast(unnest(generate_series(spans.first_month, data_end.last_month, interval 1 month)) as date) as month_start
    from spans
    cross join data_end

),

monthly as (

    select
        person_key,
        contact_month as month_start,
        count(*) as contacts,
        count(*) filter (where agency = 'police') as police_contacts,
        count(*) filter (where agency = 'ambulance') as ambulance_contacts,
        count(*) filter (where agency = 'emergency_department') as emergency_department_contacts,
        count(*) filter (where agency = 'mental_health_trust') as mental_health_trust_contacts,
        count(*) filter (where agency = 'council') as council_contacts,
        count(*) filter (where is_crisis) as crisis_contacts,
        count(*) filter (where is_mental_health_related) as mental_health_contacts,
        count(*) filter (where agency = 'police' and is_mental_health_related) as police_mental_health_contacts,
        count(distinct agency) as agencies,
        max(age_band) filter (where age_band is not null) as age_band
    from contacts
    group by person_key, contact_month

)

select
    person_months.person_key,
    person_months.month_start,
    coalesce(monthly.contacts, 0) as contacts,
    coalesce(monthly.police_contacts, 0) as police_contacts,
    coalesce(monthly.ambulance_contacts, 0) as ambulance_contacts,
    coalesce(monthly.emergency_department_contacts, 0) as emergency_department_contacts,
    coalesce(monthly.mental_health_trust_contacts, 0) as mental_health_trust_contacts,
    coalesce(monthly.council_contacts, 0) as council_contacts,
    coalesce(monthly.crisis_contacts, 0) as crisis_contacts,
    coalesce(monthly.mental_health_contacts, 0) as mental_health_contacts,
    coalesce(monthly.police_mental_health_contacts, 0) as police_mental_health_contacts,
    coalesce(monthly.agencies, 0) as agencies,
    -- the age band last recorded at or before this month (carried forward through months without contact)
    last_value(monthly.age_band ignore nulls) over (
        partition by person_months.person_key order by person_months.month_start
        rows between unbounded preceding and current row
    ) as age_band
from person_months
left join monthly
    on person_months.person_key = monthly.person_key and person_months.month_start = monthly.month_start
