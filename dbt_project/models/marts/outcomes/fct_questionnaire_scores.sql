-- Every questionnaire scored by its published rule (constants in seeds questionnaire_measures and
-- questionnaire_items, SWEMWBS's metric from swemwbs_rasch_conversion). The feed carries the response
-- position ticked on the form; reversal, proration and the "not known" code are applied here.

with

responses as (

    select * from {{ ref('stg_mh_outcome_measures__item_responses') }}

),

person_keys as (

    select
        record_key,
        person_key
    from {{ ref('stg_identity__person_keys') }}
    where feed = 'mh_outcome_measures'

),

measures as (

    select * from {{ ref('questionnaire_measures') }}

),

items as (

    select * from {{ ref('questionnaire_items') }}

),

conversion as (

    select * from {{ ref('swemwbs_rasch_conversion') }}

),

item_scores as (

    select
        responses.assessment_key,
        responses.measure_code,
        responses.assessment_date,
        responses.timepoint_code,
        responses.administration_code,
        responses.item_number,
        person_keys.person_key,
        items.subscale,
        case
            when items.item_number is null then 'unknown_item'
            when responses.item_response is null then 'skipped'
            when responses.item_response = items.not_known_code then 'not_known'
            when
                responses.item_response < items.form_position_min
                or responses.item_response > items.form_position_max
                then 'out_of_range'
            else 'answered'
        end as item_status,
        case
            when
                responses.item_response >= items.form_position_min
                and responses.item_response <= items.form_position_max
                and coalesce(responses.item_response != items.not_known_code, true)
                then
                    case
                        when items.is_reverse_scored
                            then items.form_position_min + items.form_position_max - responses.item_response
                        else responses.item_response
                    end
        end as item_score
    from responses
    inner join person_keys on responses.item_response_key = person_keys.record_key
    left join items
        on responses.measure_code = items.measure_code and responses.item_number = items.item_number

),

subscales as (

    select
        assessment_key,
        measure_code,
        subscale,
        count(*) filter (where item_status = 'answered') as answered,
        count(*) filter (where item_status != 'answered') as not_answered,
        sum(item_score) as item_total,
        avg(item_score) as item_mean
    from item_scores
    group by assessment_key, measure_code, subscale

),

assessments as (

    select
        assessment_key,
        any_value(measure_code) as measure_code,
        min(assessment_date) as assessment_date,
        any_value(timepoint_code) as timepoint_code,
        any_value(administration_code) as administration_code,
        mode(person_key) as person_key,
        count(distinct item_number) as items_returned,
        count(*) filter (where item_status = 'answered') as items_answered,
        count(*) filter (where item_status = 'unknown_item') as unknown_items,
        count(*) filter (where item_status = 'out_of_range') as out_of_range_items,
        count(*) filter (where item_status = 'not_known') as not_known_items
    from item_scores
    group by assessment_key

),

scored as (

    select
        assessments.*,
        measures.scored_item_count,
        measures.max_missing_items_prorated,
        measures.score_used,
        measures.missing_item_handling,
        scored_items.answered as scored_items_answered,
        measures.scored_item_count - scored_items.answered as scored_items_missing,
        case
            when measures.measure_code is null then null
            when measures.scored_item_count - scored_items.answered > coalesce(measures.max_missing_items_prorated, 0)
                then null
            when measures.score_used = 'mean' then round(scored_items.item_mean, 2)
            -- HoNOS: the sum of the scales rated, unrated ones left out and not prorated
            when measures.missing_item_handling = 'sum_rated' then scored_items.item_total
            -- prorated: the total of the items answered, scaled to the full number of items
            else round(scored_items.item_total * measures.scored_item_count / scored_items.answered, 1)
        end as total_score,
        case
            when
                treatment_items.answered is not null and treatment_items.subscale = 'treatment'
                and measures.measure_code = 'DIALOG'
                and treatment_items.not_answered <= coalesce(measures.max_missing_items_prorated, 0)
                then round(treatment_items.item_mean, 2)
        end as treatment_score,
        physical.item_total as physical_health_item_score
    from assessments
    left join measures on assessments.measure_code = measures.measure_code
    left join subscales as scored_items
        on
            assessments.assessment_key = scored_items.assessment_key
            and scored_items.subscale = case assessments.measure_code when 'DIALOG' then 'life_domains' else 'total' end
    left join subscales as treatment_items
        on assessments.assessment_key = treatment_items.assessment_key and treatment_items.subscale = 'treatment'
    left join subscales as physical
        on
            assessments.assessment_key = physical.assessment_key
            and physical.subscale = 'physical_health'
            and physical.answered = 1

),

final as (

    select
        scored.assessment_key,
        scored.person_key,
        scored.measure_code,
        scored.assessment_date,
        scored.timepoint_code,
        scored.administration_code,
        scored.items_answered,
        scored.total_score,
        case
            when scored.measure_code = 'SWEMWBS' and scored.total_score is not null then conversion.metric_score
        end as metric_score,
        scored.treatment_score,
        scored.physical_health_item_score,
        case when scored.measure_code = 'SWEMWBS' then conversion.metric_score else scored.total_score end
            as score_for_change,
        case
            when scored.measure_code is null or scored.scored_item_count is null then 'unknown measure: not scored'
            when scored.unknown_items > 0 then 'an item number the measure does not have: not scored'
            when scored.total_score is null
                then
                    cast(coalesce(scored.scored_items_missing, scored.scored_item_count) as varchar)
                    || ' of ' || cast(scored.scored_item_count as varchar)
                    || ' scored items missing, not known or out of range: more than the rule allows, not scored'
            when scored.scored_items_missing > 0
                then
                    cast(scored.scored_items_missing as varchar) || ' of ' || cast(scored.scored_item_count as varchar)
                    || case
                        when scored.score_used = 'mean' then ' scored items missing: mean of the items answered'
                        when
                            scored.missing_item_handling = 'sum_rated'
                            then ' scales not rated: sum of the scales rated'
                        else ' scored items missing: total prorated'
                    end
            else 'complete'
        end as scoring_note
    from scored
    left join conversion
        on scored.measure_code = 'SWEMWBS' and cast(scored.total_score as integer) = conversion.raw_score

)

select
    final.*,
    {{ equality_columns('people') }}
from final
left join {{ ref('dim_person') }} as people on final.person_key = people.person_key
