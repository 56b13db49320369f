with

audit as (

    select * from {{ source('ingest', 'load_audit') }}

),

final as (

    select
        feed,
        period as delivery_period,
        source_file,
        status as load_status,
        rows_received,
        rows_loaded,
        rows_quarantined,
        coalesce(rows_excluded, 0) as rows_excluded_opt_out,
        rows_received = rows_loaded + rows_quarantined + coalesce(rows_excluded, 0) as is_reconciled,
        agency_control_total,
        case
            when agency_control_total is null then null
            else rows_received - agency_control_total
        end as difference_from_control_total,
        reasons_json as quarantine_reasons,
        content_sha256,
        loaded_at
    from audit

)

select * from final
