{#- Pre and post windows (months) around each episode's step-up month;
    `dbt build --vars '{evaluation_window_months: [3, 6]}'` changes them. -#}
{%- set window_months = var('evaluation_window_months', [3, 6, 12]) %}
-- Each first episode (standard linkage) before and after its step-up month s, for every window W and outcome:
-- counts summed over months s-W..s-1 (pre) and s+1..s+W (post), month s itself left out (the effect starts the
-- month after step up); scores as the latest at or before the step-up month within one month (months s-1..s,
-- baseline) and the latest in the post window (follow-up). Windows are cut at the period's edges (month index 0
-- to the last month of fct_contacts); pre_months and post_months say how many months of each were observed.

with

episodes as (

    select
        intervention_episode_key,
        person_key,
        intervention,
        index_month_index
    from {{ ref('evaluation_episodes') }}
    where linkage = 'standard'

),

period as (

    {{ evaluation_period() }}

),

windows as (

    select unnest([{{ window_months | join(', ') }}]) as window_months

),

outcomes as (

    -- the 13 outcomes of effects.csv: seven counts, six scores
    select
        outcome,
        case
            when outcome in (
                'reqol10_total', 'swemwbs_total', 'core10_total', 'dialog_quality_of_life_mean',
                'dialog_treatment_satisfaction_mean', 'honos_total'
            ) then 'mean_difference'
            else 'rate_ratio'
        end as measure
    from (
        select
            unnest([
                'crisis_contacts', 'police_contacts', 'ambulance_contacts', 'emergency_department_contacts',
                'mental_health_trust_contacts', 'council_contacts', 's136_detentions',
                'reqol10_total', 'swemwbs_total', 'core10_total', 'dialog_quality_of_life_mean',
                'dialog_treatment_satisfaction_mean', 'honos_total'
            ]) as outcome
    ) as outcome_list

),

episode_windows as (

    select
        episodes.*,
        windows.window_months,
        -- months of [s - W, s - 1] and [s + 1, s + W] inside [0, last month]
        greatest(
            0, least(episodes.index_month_index - 1, period.last_month_index)
            - greatest(episodes.index_month_index - windows.window_months, 0) + 1
        ) as pre_months,
        greatest(
            0, least(episodes.index_month_index + windows.window_months, period.last_month_index)
            - greatest(episodes.index_month_index + 1, 0) + 1
        ) as post_months
    from episodes
    cross join windows
    cross join period

),

months_around as (

    -- the panel's months within the widest window of each episode, offset from the step-up month, one row per count
    select
        episodes.intervention_episode_key,
        person_months.month_index - episodes.index_month_index as month_offset,
        outcomes.outcome,
        case outcomes.outcome
            when 'crisis_contacts' then person_months.crisis_contacts
            when 'police_contacts' then person_months.police_contacts
            when 'ambulance_contacts' then person_months.ambulance_contacts
            when 'emergency_department_contacts' then person_months.emergency_department_contacts
            when 'mental_health_trust_contacts' then person_months.mental_health_trust_contacts
            when 'council_contacts' then person_months.council_contacts
            when 's136_detentions' then person_months.s136_detentions
        end as count_value
    from episodes
    inner join {{ ref('evaluation_person_months') }} as person_months
        on
            episodes.person_key = person_months.person_key
            and person_months.linkage = 'standard'
            and person_months.month_index
            between episodes.index_month_index - {{ window_months | max }}
            and episodes.index_month_index + {{ window_months | max }}
            and episodes.index_month_index != person_months.month_index
    inner join outcomes on outcomes.measure = 'rate_ratio'

),

count_values as (

    select
        months_around.intervention_episode_key,
        windows.window_months,
        months_around.outcome,
        sum(months_around.count_value) filter (where months_around.month_offset < 0) as pre_value,
        sum(months_around.count_value) filter (where months_around.month_offset > 0) as post_value
    from months_around
    inner join windows on abs(months_around.month_offset) <= windows.window_months
    group by months_around.intervention_episode_key, windows.window_months, months_around.outcome

),

scores as (

    select
        episodes.intervention_episode_key,
        scores.outcome,
        scores.assessment_key,
        scores.assessment_date,
        scores.score,
        scores.month_index - episodes.index_month_index as month_offset
    from episodes
    inner join {{ ref('evaluation_scores') }} as scores
        on scores.linkage = 'standard' and episodes.person_key = scores.person_key

),

baselines as (

    -- the latest score in the step-up month or the month before
    select
        intervention_episode_key,
        outcome,
        score
    from scores
    where month_offset between -1 and 0
    qualify row_number() over (
        partition by intervention_episode_key, outcome order by assessment_date desc, assessment_key desc
    ) = 1

),

follow_ups as (

    -- the latest score in the post window
    select
        scores.intervention_episode_key,
        windows.window_months,
        scores.outcome,
        scores.score
    from scores
    inner join windows on scores.month_offset between 1 and windows.window_months
    qualify row_number() over (
        partition by scores.intervention_episode_key, windows.window_months, scores.outcome
        order by scores.assessment_date desc, scores.assessment_key desc
    ) = 1

)

select
    episode_windows.intervention_episode_key,
    episode_windows.person_key,
    episode_windows.intervention,
    episode_windows.index_month_index,
    episode_windows.window_months,
    outcomes.outcome,
    outcomes.measure,
    cast(
        case
            when outcomes.measure = 'mean_difference' then baselines.score
            when episode_windows.pre_months > 0 then coalesce(count_values.pre_value, 0)
        end as double
    ) as pre_value,
    cast(
        case
            when outcomes.measure = 'mean_difference' then follow_ups.score
            when episode_windows.post_months > 0 then coalesce(count_values.post_value, 0)
        end as double
    ) as post_value,
    episode_windows.pre_months,
    episode_windows.post_months,
    case
        when outcomes.measure = 'mean_difference' then baselines.score is not null and follow_ups.score is not null
        else
            episode_windows.pre_months = episode_windows.window_months
            and episode_windows.post_months = episode_windows.window_months
    end as is_complete
from episode_windows
cross join outcomes
left join count_values
    on
        episode_windows.intervention_episode_key = count_values.intervention_episode_key
        and episode_windows.window_months = count_values.window_months
        and outcomes.outcome = count_values.outcome
left join baselines
    on
        episode_windows.intervention_episode_key = baselines.intervention_episode_key
        and outcomes.outcome = baselines.outcome
left join follow_ups
    on
        episode_windows.intervention_episode_key = follow_ups.intervention_episode_key
        and episode_windows.window_months = follow_ups.window_months
        and outcomes.outcome = follow_ups.outcome
