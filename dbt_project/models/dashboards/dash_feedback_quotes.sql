{#-
    People's own words for the Voices page: the one deliberate exception to "free text is kept back"
    (docs/disclosure.md, "Quotes: the one exception"). A quote is one sentence of a de-identified feedback comment,
    chosen by the rule in macros/feedback_quotes.sql: the response is coded to the theme, and the sentence itself
    codes it; the theme has more responses than the disclosure threshold; the sentence passes
    quote_is_publishable. At most quotes_per_theme() a theme: the sentences written in the most responses first
    (common words point at nobody), ties broken by the MD5 of the sentence. No key, date or rating goes with it.
    Publishing re-checks every quote in Python (pipelines/disclosure/quotes.py) before the file is swapped in.
-#}
{%- set threshold = disclosure_threshold() %}

with

coded as (

    select distinct
        feedback_key,
        theme
    from {{ ref('fct_feedback_themes') }}
    where theme != 'no_theme_coded'

),

themes as (

    select
        theme,
        min(theme_description) as theme_description,
        count(distinct feedback_key) as responses
    from {{ ref('fct_feedback_themes') }}
    where theme != 'no_theme_coded'
    group by theme
    having count(distinct feedback_key) > {{ threshold }}

),

codebook_patterns as (

    select
        theme,
        '\b(?:' || string_agg(
            '(?:' || case when pattern_kind = 'phrase' then regexp_escape(lower(pattern)) else pattern end || ')',
            '|' order by pattern
        ) || ')\b' as pattern
    from {{ ref('feedback_codebook') }}
    group by theme

),

negation_patterns as (

    select
        theme,
        string_agg(
            '(?:' || case when pattern_kind = 'phrase' then regexp_escape(lower(pattern)) else pattern end || ')',
            '|' order by pattern
        ) as pattern
    from {{ ref('feedback_codebook_negations') }}
    group by theme

),

-- each theme's patterns and negations, as int_feedback_themes_coded applies them to a sentence
theme_patterns as (

    select
        codebook_patterns.theme,
        codebook_patterns.pattern,
        coalesce(nullif(concat_ws('|', every_theme.pattern, own.pattern), ''), 'x^') as negations
    from codebook_patterns
    left join negation_patterns as every_theme on every_theme.theme = '*'
    left join negation_patterns as own on codebook_patterns.theme = own.theme

),

sentences as (

    select
        feedback_key,
        trim(unnest({{ quote_sentences('feedback_comment') }}), ' ' || chr(9)) as sentence
    from {{ ref('stg_feedback__narratives') }}

),

publishable as (

    select
        feedback_key,
        sentence
    from sentences
    where {{ quote_is_publishable('sentence') }}

),

-- each publishable sentence of a response coded to a theme big enough, with how many responses wrote it
coded_sentences as (

    select
        coded.theme,
        publishable.sentence,
        count(distinct publishable.feedback_key) as written_in
    from publishable
    inner join coded on publishable.feedback_key = coded.feedback_key
    inner join themes on coded.theme = themes.theme
    group by coded.theme, publishable.sentence

),

-- of them, the sentences that themselves code the theme
candidates as (

    select
        coded_sentences.theme,
        coded_sentences.sentence,
        coded_sentences.written_in
    from coded_sentences
    inner join theme_patterns on coded_sentences.theme = theme_patterns.theme
    where regexp_matches(
        regexp_replace(lower(coded_sentences.sentence), theme_patterns.negations, ' ', 'g'), theme_patterns.pattern
    )

),

chosen as (

    select
        theme,
        sentence,
        row_number() over (partition by theme order by written_in desc, md5(sentence)) as quote_number
    from candidates
    qualify quote_number <= {{ quotes_per_theme() }}

),

quoted as (

    select
        themes.theme,
        themes.theme_description,
        chosen.theme || '-' || chosen.quote_number as quote_id,
        chosen.sentence as quote,  -- noqa: RF04
        themes.responses
    from chosen
    inner join themes on chosen.theme = themes.theme

)

select
    theme,
    theme_description,
    quote_id,
    quote,
    {{ disclosure_count_columns('responses') }}
from quoted
