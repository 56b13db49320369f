{#- A share of contacts describes the people in the top k%, so it is shown only where they are more than the
    threshold (the ceiling of k% of the people counted, as marts.demand_concentration defines the top k%). -#}
{%- set top_percents = [1, 5, 10, 20] -%}

with

concentration as (
    select * from {{ ref('demand_concentration') }}
),

counted as (
    select
        *,
        cast(ceil(1 / 100.0 * people) as bigint) as people_top_1_percent,
        cast(ceil(5 / 100.0 * people) as bigint) as people_top_5_percent,
        cast(ceil(10 / 100.0 * people) as bigint) as people_top_10_percent,
        cast(ceil(20 / 100.0 * people) as bigint) as people_top_20_percent
    from concentration
)

select
    agency_scope,
    period_kind,
    period,
    {{ disclosure_count_columns('people') }},
    {{ disclosure_count_columns('contacts') }},
    {%- for p in top_percents %}
        {{ disclosure_count_columns('people_top_' ~ p ~ '_percent') }},
        {{ disclosure_statistic('round(share_of_contacts_top_' ~ p ~ '_percent, 3)', 'people_top_' ~ p ~ '_percent') }}
            as share_of_contacts_top_{{ p }}_percent,
        {{ disclosure_statistic_suppression('people_top_' ~ p ~ '_percent') }}
            as share_of_contacts_top_{{ p }}_percent_suppression,
    {%- endfor %}
    {{ disclosure_statistic('round(gini_coefficient, 3)', 'people') }} as gini_coefficient,
    {{ disclosure_statistic_suppression('people') }} as gini_coefficient_suppression
from counted
