with

quality as (

    select * from {{ source('pseudonymised', 'linkage_quality') }}

),

final as (

    select
        cast(method as varchar) as measured_by,
        cast(scope as varchar) as scope,
        cast(source_l as varchar) as feed_left,
        cast(source_r as varchar) as feed_right,
        cast(ethnicity_group as varchar) as ethnicity_group,
        cast(n_records as bigint) as records,
        cast(true_pairs as bigint) as true_pairs,
        cast(predicted_pairs as bigint) as predicted_pairs,
        cast(true_positive_pairs as bigint) as true_positive_pairs,
        cast(precision as double) as pairwise_precision,
        cast(recall as double) as pairwise_recall,
        cast(f1 as double) as pairwise_f1,
        cast(missed_link_rate as double) as missed_link_rate,
        cast(false_link_rate as double) as false_link_rate,
        cast(run_id as varchar) as linkage_run_id
    from quality

)

select * from final
