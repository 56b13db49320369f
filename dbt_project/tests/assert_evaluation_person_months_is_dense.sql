-- Every person of every linkage has every month of the period, once: a person or month missing from the panel
-- (or a person in the panel who is no one) is returned.
with

period as (

    select cast(datediff('month', min(contact_month), max(contact_month)) as integer) + 1 as months
    from {{ ref('fct_contacts') }}

),

panel as (

    select
        linkage,
        person_key,
        count(*) as months,
        count(distinct month_index) as distinct_months,
        min(month_index) as first_index
    from {{ ref('evaluation_person_months') }}
    group by linkage, person_key

)

select
    coalesce(people.linkage, panel.linkage) as linkage,
    coalesce(people.person_key, panel.person_key) as person_key,
    panel.months
from {{ ref('evaluation_person_keys') }} as people
full outer join panel on people.linkage = panel.linkage and people.person_key = panel.person_key
cross join period
where
    people.person_key is null
    or panel.person_key is null
    or panel.months != period.months
    or panel.distinct_months != period.months
    or panel.first_index != 0
