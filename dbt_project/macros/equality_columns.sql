{#-
    The equality dimensions every outcome mart carries from dim_person (joined on person_key as `alias`), so any
    outcome can be cut by ethnicity group, sex, age band, IMD quintile, disability and neurodiversity without a join.
-#}
{% macro equality_columns(alias) -%}
    {{ alias }}.ethnicity_group,
    {{ alias }}.sex as person_sex,
    {{ alias }}.age_band_latest as person_age_band,
    {{ alias }}.imd_quintile,
    {{ alias }}.has_disability,
    {{ alias }}.is_neurodivergent
{%- endmacro %}

{#-
    The long format of the dash_* equality tables: one row per row of `relation` and equality dimension, with
    `dimension` (its name) and `dimension_value` (as text, a missing value as 'unknown'), beside the `carry`
    columns. `columns` says where the dimensions are: 'dim_person' (its own column names) or 'outcome_mart' (the
    names equality_columns gives). `dimensions` picks some of them, in the order given.
-#}
{% macro equality_dimension_rows(relation, carry, columns='outcome_mart', dimensions=none) -%}
    {%- set where = {
        'dim_person': {
            'ethnicity_group': 'ethnicity_group', 'sex': 'sex', 'age_band': 'age_band_latest',
            'imd_quintile': 'imd_quintile', 'has_disability': 'has_disability',
        },
        'outcome_mart': {
            'ethnicity_group': 'ethnicity_group', 'sex': 'person_sex', 'age_band': 'person_age_band',
            'imd_quintile': 'imd_quintile', 'has_disability': 'has_disability',
        },
    }[columns] -%}
    {%- for dimension in dimensions or ['ethnicity_group', 'sex', 'age_band', 'imd_quintile', 'has_disability'] %}
        select
            {%- for column in carry %}
            {{ column }},
            {%- endfor %}
            '{{ dimension }}' as dimension,
            coalesce(cast({{ where[dimension] }} as varchar), 'unknown') as dimension_value
        from {{ relation }}
        {%- if not loop.last %}
        union all
        {%- endif %}
    {%- endfor %}
{%- endmacro %}
