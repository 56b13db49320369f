-- depends_on: {{ source('drift', 'police_incidents') }}
-- depends_on: {{ source('drift', 'ambulance_calls') }}
-- depends_on: {{ source('drift', 'ed_attendances') }}
-- depends_on: {{ source('drift', 'mh_contacts') }}
-- depends_on: {{ source('drift', 'mh_outcome_measures') }}
-- depends_on: {{ source('drift', 'feedback') }}
-- depends_on: {{ source('drift', 'council_contacts') }}
-- depends_on: {{ source('drift', 'programme_caseload') }}
{#-
    Which months to distrust: every metric tested on every delivery, from the drift/<feed> assets
    (pipelines/monitoring). A feed whose drift has not run yet has no files; it is left out (DuckDB's read_parquet
    fails on a glob that matches nothing), and with no drift results at all the table is empty. The depends_on
    lines give dbt (and Dagster) the lineage from every drift/<feed> asset, which the loop alone would not at parse.
-#}
{%- set feeds = ['police_incidents', 'ambulance_calls', 'ed_attendances', 'mh_contacts', 'mh_outcome_measures',
    'feedback', 'council_contacts', 'programme_caseload'] -%}
{%- set present = [] -%}
{%- if execute -%}
    {%- for feed in feeds -%}
        {%- set found = run_query(
            "select count(*) from glob('" ~ env_var('HFC_PSEUDONYMISED_DIR', '') ~ "/_drift/" ~ feed ~ "/*.parquet')"
        ) -%}
        {%- if found.rows[0][0] > 0 -%}
            {%- do present.append(feed) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif %}

with

results as (

    -- the columns, typed, when no feed has drift results yet
    select
        cast(null as varchar) as feed,
        cast(null as varchar) as delivery_period,
        cast(null as varchar) as metric,
        cast(null as varchar) as metric_kind,
        cast(null as varchar) as column_name,
        cast(null as varchar) as metric_description,
        cast(null as double) as statistic,
        cast(null as double) as threshold,
        cast(null as double) as current_value,
        cast(null as double) as reference_value,
        cast(null as bigint) as current_count,
        cast(null as bigint) as current_denominator,
        cast(null as bigint) as rows_in_delivery,
        cast(null as bigint) as reference_rows,
        cast(null as varchar) as reference_periods,
        cast(null as bigint) as reference_period_count,
        cast(null as boolean) as is_tested,
        cast(null as boolean) as is_drifted,
        cast(null as varchar) as severity,
        cast(null as timestamp) as evaluated_at
    where false
    {%- for feed in present %}
    union all
    select
        feed,
        delivery_period,
        metric,
        metric_kind,
        column_name,
        metric_description,
        statistic,
        threshold,
        current_value,
        reference_value,
        current_count,
        current_denominator,
        rows_in_delivery,
        reference_rows,
        reference_periods,
        reference_period_count,
        is_tested,
        is_drifted,
        severity,
        evaluated_at
    from {{ source('drift', feed) }}
    {%- endfor %}

)

select
    cast(feed as varchar) as feed,
    cast(delivery_period as varchar) as delivery_period,
    cast(metric as varchar) as metric,
    cast(metric_kind as varchar) as metric_kind,
    cast(column_name as varchar) as column_name,
    cast(metric_description as varchar) as metric_description,
    cast(statistic as double) as statistic,
    cast(threshold as double) as threshold,
    cast(current_value as double) as current_value,
    cast(reference_value as double) as reference_value,
    cast(current_count as bigint) as current_count,
    cast(current_denominator as bigint) as current_denominator,
    cast(rows_in_delivery as bigint) as rows_in_delivery,
    cast(reference_rows as bigint) as reference_rows,
    nullif(cast(reference_periods as varchar), '') as reference_periods,
    cast(reference_period_count as bigint) as reference_period_count,
    cast(is_tested as boolean) as is_tested,
    cast(is_drifted as boolean) as is_drifted,
    cast(severity as varchar) as severity,
    cast(evaluated_at as timestamp) as evaluated_at
from results
