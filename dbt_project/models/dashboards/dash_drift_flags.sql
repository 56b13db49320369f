-- Drift of each delivery against its reference window (marts.drift_flags), for the Data quality page:
-- the rows in the delivery disclosure-controlled, the statistic and its threshold shown where they survive.
-- Only the metrics that were tested (enough rows, and at least 3 earlier deliveries).

with

flags as (

    select * from {{ ref('drift_flags') }}
    where is_tested

)

select
    feed,
    delivery_period,
    metric,
    metric_description,
    {{ disclosure_statistic('round(statistic, 4)', 'rows_in_delivery') }} as statistic,
    {{ disclosure_statistic_suppression('rows_in_delivery') }} as statistic_suppression,
    {{ disclosure_statistic('round(threshold, 4)', 'rows_in_delivery') }} as threshold,
    {{ disclosure_statistic_suppression('rows_in_delivery') }} as threshold_suppression,
    {{ disclosure_count_columns('rows_in_delivery') }},
    reference_periods,
    is_drifted,
    severity
from flags
