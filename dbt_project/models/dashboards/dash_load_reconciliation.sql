{#-
    Load reconciliation by feed and monthly delivery (marts.load_audit): what each delivery sent, what was loaded,
    quarantined and excluded (the national data opt-out), and whether those add up. Row counts, not people, but a
    delivery's 1 to 7 quarantined rows are suppressed like any other count.
-#}
with

load_audit as (
    select * from {{ ref('load_audit') }}
),

counted as (
    select
        feed,
        delivery_period,
        coalesce(rows_received, 0) as rows_received,
        coalesce(rows_loaded, 0) as rows_loaded,
        coalesce(rows_quarantined, 0) as rows_quarantined,
        coalesce(rows_excluded_opt_out, 0) as rows_excluded,
        coalesce(is_reconciled, false) as is_reconciled
    from load_audit
)

select
    feed,
    delivery_period,
    {{ disclosure_count_columns('rows_received') }},
    {{ disclosure_count_columns('rows_loaded') }},
    {{ disclosure_count_columns('rows_quarantined') }},
    {{ disclosure_count_columns('rows_excluded') }},
    is_reconciled
from counted
