{#- Pre and post windows (months) around each episode's step-up month; `dbt build --vars '{evaluation_window_months: [3, 6]}'`
    changes them. -#}
{%- set window_months = var('evaluation_window_months', [3, 6, 12]) -%}
{%- set count_outcomes = [
    'crisis_contacts', 'police_contacts', 'ambulance_contacts', 'emergency_department_contacts',
    'mental_health_trust_contacts', 'council_contacts', 's136_detentions',
] -%}
{%- set score_outcomes = [
    'reqol10_total', 'swemwbs_total', 'core10_total', 'dialog_quality_of_life_mean',
    'dialog_treatment_satisfaction_mean', 'honos_total',
] -%}
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

    select cast(datediff('month', min(contact_month), max(contact_month)) as integer) as last_month_index
    from {{ ref('fct_contacts') }}

),

windows as (

    select unnest([{{ window_months | join(', ') }}]) as window_months

),

outcomes as (

    select
        outcome,
        measure
    from (
        values
        {%- for outcome in count_outcomes %}
            ('{{ outcome }}', 'rate_ratio'),
        {%- endfor %}
        {%- for outcome in score_outcomes %}
            ('{{ outcome }}', 'mean_difference'){{ ',' if not loop.last }}
        {%- endfor %}
    ) as outcome_list (outcome, measure)

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

    -- the panel's months within the widest window of each episode, offset from the step-up month
    select
        episodes.intervention_episode_key,
        person_months.month_index - episodes.index_month_index as month_offset,
        {%- for outcome in count_outcomes %}
        person_months.{{ outcome }}{{ ',' if not loop.last }}
        {%- endfor %}
    from episodes
    inner join {{ ref('evaluation_person_months') }} as person_months
        on
            person_months.linkage = 'standard'
            and episodes.person_key = person_months.person_key
            and person_months.month_index
            between episodes.index_month_index - {{ window_months | max }}
            and episodes.index_month_index + {{ window_months | max }}
            and person_months.month_index != episodes.index_month_index

),

count_sums as (

    select
        months_around.intervention_episode_key,
        windows.window_months,
        {%- for outcome in count_outcomes %}
        sum(months_around.{{ outcome }}) filter (where months_around.month_offset < 0) as pre_{{ outcome }},
        sum(months_around.{{ outcome }}) filter (where months_around.month_offset > 0) as post_{{ outcome }}
        {{- ',' if not loop.last }}
        {%- endfor %}
    from months_around
    inner join windows on abs(months_around.month_offset) <= windows.window_months
    group by months_around.intervention_episode_key, windows.window_months

),

count_values as (

    {%- for outcome in count_outcomes %}
    select
        intervention_episode_key,
        window_months,
        '{{ outcome }}' as outcome,
        pre_{{ outcome }} as pre_value,
        post_{{ outcome }} as post_value
    from count_sums
    {{ 'union all' if not loop.last }}
    {%- endfor %}

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
