-- The observed months of a window lie between 0 and its length, a complete count window is fully observed, and a
-- count or its absence agrees with the months observed. Offending rows are returned.
select
    intervention_episode_key,
    window_months,
    outcome
from {{ ref('episode_windows') }}
where
    pre_months not between 0 and window_months
    or post_months not between 0 and window_months
    or (
        measure = 'rate_ratio'
        and (
            (pre_months > 0) != (pre_value is not null)
            or (post_months > 0) != (post_value is not null)
            or pre_value < 0
            or post_value < 0
            or is_complete != (pre_months = window_months and post_months = window_months)
        )
    )
    or (measure = 'mean_difference' and is_complete != (pre_value is not null and post_value is not null))
