{#-
    Episodes by the quarter they started in. An episode is stepped down or still open, never both, so
    episodes = episodes_stepped_down + episodes_open. The median length is of the stepped-down episodes only: an
    open episode's length runs to the end of the data, so it is not yet known.
-#}
with

episodes as (
    select * from {{ ref('fct_intervention_episodes') }}
),

counted as (
    select
        intervention_code,
        coalesce(referral_route_code, 'unknown') as referral_route_code,
        strftime(episode_start_on, '%Y') || '-Q' || quarter(episode_start_on) as start_quarter,
        count(*) as episodes,
        count(distinct person_key) as people,
        count(*) filter (where is_stepped_up) as episodes_stepped_up,
        count(*) filter (where is_managed) as episodes_managed,
        count(*) filter (where is_stepped_down) as episodes_stepped_down,
        count(*) filter (where is_open) as episodes_open,
        median(episode_days) filter (where is_stepped_down) as median_episode_days
    from episodes
    group by all
)

select
    intervention_code,
    referral_route_code,
    start_quarter,
    {{ disclosure_count_columns('episodes') }},
    {{ disclosure_count_columns('people') }},
    {{ disclosure_count_columns('episodes_stepped_up') }},
    {{ disclosure_count_columns('episodes_managed') }},
    {{ disclosure_count_columns('episodes_stepped_down') }},
    {{ disclosure_count_columns('episodes_open') }},
    {{ disclosure_statistic('cast(round(median_episode_days, 1) as double)', 'episodes_stepped_down') }}
        as median_episode_days,
    {{ disclosure_statistic_suppression('episodes_stepped_down') }} as median_episode_days_suppression
from counted
