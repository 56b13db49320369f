-- Every scored questionnaire as the evaluation's six score outcomes, under each linkage, one row per outcome. The
-- score is the published total (fct_questionnaire_scores.total_score: SWEMWBS's raw 7-35 total, not its metric
-- score, because effects are stated on the published totals; DIALOG's life-domain mean) or, for DIALOG's
-- treatment satisfaction, treatment_score. Under the strict and lenient linkages an assessment belongs to the
-- alternative key holding most of its item responses (ties: the lowest key), as fct_questionnaire_scores gives
-- it to the standard person holding most of them.

with

person_keys as (

    select * from {{ ref('stg_identity__person_keys') }}

),

period as (

    {{ evaluation_period() }}

),

scores as (

    select * from {{ ref('fct_questionnaire_scores') }}

),

item_keys as (

    select
        responses.assessment_key,
        person_keys.person_key_strict,
        person_keys.person_key_lenient
    from {{ ref('stg_mh_outcome_measures__item_responses') }} as responses
    inner join person_keys
        on person_keys.feed = 'mh_outcome_measures' and responses.item_response_key = person_keys.record_key

),

alternative_owners as (

    select
        linkage,
        assessment_key,
        person_key
    from (
        select
            'strict' as linkage,
            assessment_key,
            person_key_strict as person_key,
            count(*) as items
        from item_keys
        where person_key_strict is not null
        group by assessment_key, person_key_strict
        union all
        select
            'lenient' as linkage,
            assessment_key,
            person_key_lenient as person_key,
            count(*) as items
        from item_keys
        where person_key_lenient is not null
        group by assessment_key, person_key_lenient
    ) as counted
    qualify row_number() over (partition by linkage, assessment_key order by items desc, person_key asc) = 1

),

owners as (

    select
        'standard' as linkage,
        assessment_key,
        person_key
    from scores
    union all
    select
        linkage,
        assessment_key,
        person_key
    from alternative_owners

),

outcomes as (

    select
        assessment_key,
        assessment_date,
        timepoint_code,
        case measure_code
            when 'REQOL10' then 'reqol10_total'
            when 'SWEMWBS' then 'swemwbs_total'
            when 'CORE10' then 'core10_total'
            when 'DIALOG' then 'dialog_quality_of_life_mean'
            when 'HONOS' then 'honos_total'
        end as outcome,
        total_score as score
    from scores
    union all
    select
        assessment_key,
        assessment_date,
        timepoint_code,
        'dialog_treatment_satisfaction_mean' as outcome,
        treatment_score as score
    from scores
    where measure_code = 'DIALOG'

)

select
    owners.linkage,
    owners.person_key,
    outcomes.assessment_key,
    outcomes.outcome,
    outcomes.assessment_date,
    cast(datediff('month', period.first_month, outcomes.assessment_date) as integer) as month_index,
    outcomes.timepoint_code,
    cast(outcomes.score as double) as score
from outcomes
inner join owners on outcomes.assessment_key = owners.assessment_key
cross join period
where outcomes.outcome is not null and outcomes.score is not null and owners.person_key is not null
