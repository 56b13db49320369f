-- Change on each measure from a baseline to the latest score, judged by the measure's reliable change index
-- and clinical cut-off (Jacobson and Truax 1991), with the constants used on every row.

with

assigned as (

    select * from {{ ref('int_questionnaires_assigned_to_episodes') }}

),

measures as (

    select * from {{ ref('questionnaire_measures') }}

),

ordered as (

    select
        *,
        coalesce(intervention_episode_key, 'outside_any_episode') as scope_key,
        -- the baseline: in an episode, the candidate completed nearest the step up (the earlier on a tie);
        -- outside any episode, the first score
        row_number() over (
            partition by person_key, measure_code, coalesce(intervention_episode_key, 'outside_any_episode')
            order by
                case when intervention_episode_key is null or is_baseline_candidate then 0 else 1 end,
                abs(datediff('day', coalesce(episode_start_on, assessment_date), assessment_date)),
                assessment_date,
                assessment_key
        ) as baseline_rank,
        row_number() over (
            partition by person_key, measure_code, coalesce(intervention_episode_key, 'outside_any_episode')
            order by assessment_date desc, assessment_key desc
        ) as latest_rank
    from assigned

),

baseline as (

    select * from ordered
    where baseline_rank = 1 and (intervention_episode_key is null or is_baseline_candidate)

),

latest as (

    select ordered.*
    from ordered
    inner join baseline
        on
            ordered.person_key = baseline.person_key
            and ordered.measure_code = baseline.measure_code
            and ordered.scope_key = baseline.scope_key
    where ordered.assessment_date > baseline.assessment_date
    qualify row_number() over (
        partition by ordered.person_key, ordered.measure_code, ordered.scope_key
        order by ordered.assessment_date desc, ordered.assessment_key desc
    ) = 1

),

paired as (

    select
        baseline.person_key,
        baseline.measure_code,
        baseline.intervention_episode_key,
        baseline.intervention_code,
        baseline.assessment_key as baseline_assessment_key,
        baseline.assessment_date as baseline_date,
        baseline.score_for_change as baseline_score,
        latest.assessment_key as latest_assessment_key,
        latest.assessment_date as latest_date,
        latest.score_for_change as latest_score,
        measures.higher_is_better,
        measures.reliable_change_index,
        measures.clinical_cutoff,
        measures.cutoff_direction
    from baseline
    left join latest
        on
            baseline.person_key = latest.person_key
            and baseline.measure_code = latest.measure_code
            and baseline.scope_key = latest.scope_key
    left join measures on baseline.measure_code = measures.measure_code

),

judged as (

    select
        *,
        latest_score - baseline_score as change,
        case when higher_is_better then 1 else -1 end * (latest_score - baseline_score) as improvement,
        {{ is_clinical_range('baseline_score', 'clinical_cutoff', 'cutoff_direction') }} as is_baseline_clinical,
        {{ is_clinical_range('latest_score', 'clinical_cutoff', 'cutoff_direction') }} as is_latest_clinical
    from paired

),

final as (

    select
        person_key,
        measure_code,
        intervention_episode_key,
        intervention_code,
        intervention_episode_key is null as is_outside_any_episode,
        baseline_assessment_key,
        baseline_date,
        baseline_score,
        latest_assessment_key,
        latest_date,
        latest_score,
        change,
        case
            when latest_score is null or reliable_change_index is null then null
            when improvement >= reliable_change_index then 'improved'
            when improvement <= -reliable_change_index then 'deteriorated'
            else 'no_reliable_change'
        end as reliable_change,
        case
            when latest_score is null or reliable_change_index is null or clinical_cutoff is null then null
            else improvement >= reliable_change_index and is_baseline_clinical and not is_latest_clinical
        end as is_clinically_significant,
        case
            when latest_score is null or reliable_change_index is null or clinical_cutoff is null then null
            else improvement <= -reliable_change_index and not is_baseline_clinical and is_latest_clinical
        end as is_clinically_significant_deterioration,
        is_baseline_clinical,
        is_latest_clinical,
        higher_is_better,
        reliable_change_index,
        clinical_cutoff,
        cutoff_direction,
        case
            when latest_score is null then 'one score only: no change to judge'
            when reliable_change_index is null then 'no published reliable change index for this measure'
            when clinical_cutoff is null then 'no published clinical cut-off for this measure'
            else 'judged'
        end as change_note
    from judged

)

select
    final.*,
    {{ equality_columns('people') }}
from final
left join {{ ref('dim_person') }} as people on final.person_key = people.person_key
