-- How well the codebook finds each theme, against the themes the synthetic county planted in each comment
-- (demo runs). Empty where there is no truth (production).

with

coded as (

    select
        feedback_key,
        theme
    from {{ ref('int_feedback_themes_coded') }}

),

truth as (

    select
        feedback_key,
        theme
    from {{ ref('stg_synth_truth__feedback_theme_labels') }}

),

measured as (

    -- only comments the truth covers are measured (the truth lists every comment's themes, or none)
    select distinct feedback_key from {{ ref('stg_feedback__narratives') }}
    where exists (select 1 from truth)

),

themes as (

    select distinct theme from {{ ref('feedback_codebook') }}

),

scored as (

    select
        themes.theme,
        count(*) filter (where coded.feedback_key is not null and truth.feedback_key is not null) as true_positives,
        count(*) filter (where coded.feedback_key is not null and truth.feedback_key is null) as false_positives,
        count(*) filter (where coded.feedback_key is null and truth.feedback_key is not null) as false_negatives
    from themes
    cross join measured
    left join coded on measured.feedback_key = coded.feedback_key and themes.theme = coded.theme
    left join truth on measured.feedback_key = truth.feedback_key and themes.theme = truth.theme
    group by themes.theme

)

select
    theme,
    (select count(*) from measured) as responses,
    true_positives + false_negatives as truly_with_theme,
    true_positives,
    false_positives,
    false_negatives,
    true_positives / nullif(true_positives + false_positives, 0) as precision,
    true_positives / nullif(true_positives + false_negatives, 0) as recall
from scored
where (select count(*) from measured) > 0
