with

feedback_themes as (
    select * from {{ ref('fct_feedback_themes') }}
),

counted as (
    select
        theme,
        strftime(submitted_at, '%Y') || '-Q' || quarter(submitted_at) as submitted_quarter,
        count(distinct feedback_key) as responses,
        count(distinct feedback_key) filter (where rating is not null) as rated_responses,
        avg(rating) as mean_rating
    from feedback_themes
    group by all
)

select
    theme,
    submitted_quarter,
    {{ disclosure_count('responses') }} as responses,
    {{ disclosure_count_suppression('responses') }} as responses_suppression,
    {{ disclosure_count('rated_responses') }} as rated_responses,
    {{ disclosure_count_suppression('rated_responses') }} as rated_responses_suppression,
    {{ disclosure_statistic('round(mean_rating, 2)', 'rated_responses') }} as mean_rating,
    {{ disclosure_statistic_suppression('rated_responses') }} as mean_rating_suppression
from counted
