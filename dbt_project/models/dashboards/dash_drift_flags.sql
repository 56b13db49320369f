-- Drift of each delivery against its reference window (marts.drift_flags), for the Data quality page:
-- the rows in the delivery disclosure-controlled, the statistic and its threshold shown where they survive.
-- Only the metrics that were tested (enough rows, and at least 3 earlier deliveries). A rate or missing share
-- is a count over the delivery: its statistic is withheld too where that count, or the rest of the delivery, is 1
-- to the threshold (a quarantine rate of 3 in 70 rows beside the rounded 70 would give the 3 back). A new-code
-- statistic is the share of the delivery in unseen codes, so only a 0 is shown (whether it passed its threshold of
-- at least 10 rows is is_drifted). Statistic and threshold have two decimals: the threshold depends on the
-- delivery's size, and four decimals gave the exact size back beside its rounded count.
{%- set threshold = disclosure_threshold() %}
{%- set behind_statistic %}
    case
        when metric_kind = 'new_codes' and statistic != 0 then 1
        when
            metric_kind in ('rate', 'missing')
            and (
                current_count between 1 and {{ threshold }}
                or current_denominator - current_count between 1 and {{ threshold }}
            )
            then least(current_count, current_denominator - current_count)
        else rows_in_delivery
    end
{%- endset %}

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
    {{ disclosure_statistic('round(statistic, 2)', behind_statistic) }} as statistic,
    {{ disclosure_statistic_suppression(behind_statistic) }} as statistic_suppression,
    {{ disclosure_statistic('round(threshold, 2)', 'rows_in_delivery') }} as threshold,
    {{ disclosure_statistic_suppression('rows_in_delivery') }} as threshold_suppression,
    {{ disclosure_count_columns('rows_in_delivery') }},
    reference_periods,
    is_drifted,
    severity
from flags
