{#- The shares of contacts that come from the people in most contact: how concentrated demand is. -#}
{%- set top_percents = [1, 5, 9, 10, 20] -%}

with

counts as (

    select * from {{ ref('int_contacts_counted_by_person') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by agency_scope, period_kind, period order by contacts desc, person_key asc
        ) as rank_most_first,
        row_number() over (
            partition by agency_scope, period_kind, period order by contacts asc, person_key desc
        ) as rank_least_first,
        count(*) over (partition by agency_scope, period_kind, period) as people,
        sum(contacts) over (partition by agency_scope, period_kind, period) as total_contacts
    from counts

)

select
    agency_scope,
    period_kind,
    period,
    any_value(people) as people,
    any_value(total_contacts) as contacts,
    {%- for p in top_percents %}
    -- the top {{ p }}% of people: the ceiling of {{ p }}% of the people counted, most contacts first
        sum(contacts) filter (where rank_most_first <= ceil({{ p }} / 100.0 * people))
        / any_value(total_contacts) as share_of_contacts_top_{{ p }}_percent,
    {%- endfor %}
    -- Gini coefficient of contacts over the people counted (0: everyone alike; towards 1: a few people account
    -- for nearly all), from the ranks in ascending order: G = 2 * sum(i * x_i) / (n * sum(x)) - (n + 1) / n
    2.0 * sum(rank_least_first * contacts) / (any_value(people) * any_value(total_contacts))
    - (any_value(people) + 1.0) / any_value(people) as gini_coefficient
from ranked
group by agency_scope, period_kind, period
