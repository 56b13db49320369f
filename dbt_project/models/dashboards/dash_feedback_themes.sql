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
    {{ disclosure_count_columns('responses') }},
    {{ disclosure_count_columns('rated_responses') }},
    {{ disclosure_statistic('round(mean_rating, 2)', 'rated_responses') }} as mean_rating,
    {{ disclosure_statistic_suppression('rated_responses') }} as mean_rating_suppression
from counted
