with

audit as (

    select * from {{ source('ingest', 'load_audit') }}

),

opt_out as (

    select * from {{ source('opt_out', 'exclusions') }}

),

-- the opt-out's counts belong to a delivery only if they were made on that delivery's rows (same file content)
audit_with_opt_out as (

    select
        audit.*,
        opt_out.feed is not null as has_opt_out_counts,
        opt_out.rows_accepted as opt_out_rows_accepted,
        coalesce(opt_out.rows_excluded_record, 0) as opt_out_excluded_record,
        coalesce(opt_out.rows_excluded_person, 0) as opt_out_excluded_person
    from audit
    left join opt_out
        on
            audit.feed = opt_out.feed
            and audit.period = opt_out.period
            and audit.content_sha256 is not distinct from opt_out.content_sha256

),

final as (

    select
        feed,
        period as delivery_period,
        source_file,
        status as load_status,
        rows_received,
        rows_loaded - opt_out_excluded_record - opt_out_excluded_person as rows_loaded,
        rows_quarantined,
        coalesce(rows_excluded, 0) + opt_out_excluded_record + opt_out_excluded_person as rows_excluded_opt_out,
        coalesce(rows_excluded, 0) + opt_out_excluded_record as rows_excluded_opt_out_record,
        opt_out_excluded_person as rows_excluded_opt_out_person,
        to_json(
            {
                'national_data_opt_out': coalesce(rows_excluded, 0) + opt_out_excluded_record,
                'national_data_opt_out_person': opt_out_excluded_person
            }
        ) as exclusion_reasons,
        status != 'loaded' or has_opt_out_counts as is_opt_out_applied,
        rows_received = rows_loaded + rows_quarantined + coalesce(rows_excluded, 0)
        and (not has_opt_out_counts or opt_out_rows_accepted = rows_loaded) as is_reconciled,
        agency_control_total,
        case
            when agency_control_total is null then null
            else rows_received - agency_control_total
        end as difference_from_control_total,
        reasons_json as quarantine_reasons,
        content_sha256,
        loaded_at
    from audit_with_opt_out

)

select * from final
