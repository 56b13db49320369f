{#-
    Which intervention episode each scored questionnaire belongs to, and whether it can serve as that
    episode's baseline: a baseline is completed from 90 days before the step up to 30 days after it; a later
    score counts for the episode until 180 days after its step down (or the end of the data), so follow-ups
    are kept. A questionnaire outside every episode's window belongs to none.
-#}
{%- set baseline_days_before = 90 -%}
{%- set baseline_days_after = 30 -%}
{%- set follow_up_days = 180 -%}

with

scores as (

    select * from {{ ref('fct_questionnaire_scores') }}
    where score_for_change is not null

),

episodes as (

    select * from {{ ref('fct_intervention_episodes') }}

)

select
    scores.assessment_key,
    scores.person_key,
    scores.measure_code,
    scores.assessment_date,
    scores.score_for_change,
    episodes.intervention_episode_key,
    episodes.intervention_code,
    episodes.episode_start_on,
    scores.assessment_date between episodes.episode_start_on - {{ baseline_days_before }}
    and episodes.episode_start_on + {{ baseline_days_after }} as is_baseline_candidate,
    {{ baseline_days_before }} as baseline_days_before,
    {{ baseline_days_after }} as baseline_days_after,
    {{ follow_up_days }} as follow_up_days
from scores
left join episodes
    on
        scores.person_key = episodes.person_key
        and scores.assessment_date between episodes.episode_start_on - {{ baseline_days_before }}
        and episodes.episode_end_on + {{ follow_up_days }}
