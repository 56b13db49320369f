{% macro evaluation_period() %}
{#- The evaluation's period: the first and last month of fct_contacts. Month index 0 is the first month; every
    evaluation model counts months from here, so the panel, the episodes, the scores, the windows and the area
    series agree on what month 3 is. -#}
    select
        min(contact_month) as first_month,
        max(contact_month) as last_month,
        cast(datediff('month', min(contact_month), max(contact_month)) as integer) as last_month_index
    from {{ ref('fct_contacts') }}
{%- endmacro %}


{% macro evaluation_months(period) %}
{#- Every month of the evaluation's period (a CTE built by evaluation_period()), with its month index. -#}
    select
        cast(series.month_start as date) as month_start,
        cast(datediff('month', bounds.first_month, series.month_start) as integer) as month_index
    from {{ period }} as bounds
    cross join
        unnest(generate_series(bounds.first_month, bounds.last_month, interval 1 month)) as series (month_start)
{%- endmacro %}
