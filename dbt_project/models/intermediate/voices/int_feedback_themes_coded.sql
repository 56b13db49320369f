-- depends_on: {{ ref('feedback_codebook') }}
-- depends_on: {{ ref('feedback_codebook_negations') }}
{#-
    The feedback codebook (seed feedback_codebook: theme, terms, versioned and cited) applied to each comment's
    de-identified text, sentence by sentence: a sentence codes a theme when one of the theme's patterns matches
    after the theme's negations (and the codebook-wide ones, theme `*`) are removed from it. The patterns are
    compiled into one regular expression per theme when dbt compiles the model.
-#}
{%- set themes = {} -%}
{%- set negations = {} -%}
{%- if execute and load_relation(ref('feedback_codebook')) is not none -%}
    {%- set theme_sql -%}
        select
            theme,
            string_agg(
                '(?:' || case when pattern_kind = 'phrase' then regexp_escape(lower(pattern)) else pattern end || ')',
                '|' order by pattern
            )
        from {{ ref('feedback_codebook') }}
        group by theme
        order by theme
    {%- endset -%}
    {%- for row in run_query(theme_sql).rows -%}
        {%- do themes.update({row[0]: row[1]}) -%}
    {%- endfor -%}
    {%- set negation_sql -%}
        select
            theme,
            string_agg(
                '(?:' || case when pattern_kind = 'phrase' then regexp_escape(lower(pattern)) else pattern end || ')',
                '|' order by pattern
            )
        from {{ ref('feedback_codebook_negations') }}
        group by theme
    {%- endset -%}
    {%- for row in run_query(negation_sql).rows -%}
        {%- do negations.update({row[0]: row[1]}) -%}
    {%- endfor -%}
{%- endif %}

with

comments as (

    select
        feedback_key,
        feedback_comment
    from {{ ref('stg_feedback__narratives') }}

),

sentences as (

    select
        feedback_key,
        unnest(string_split_regex(lower(feedback_comment), '[.!?;]+(\s|$)|\n')) as sentence
    from comments

){{ ',' if themes }}

{%- for theme, pattern in themes.items() %}
{%- set cancel = [negations.get('*'), negations.get(theme)] | select | join('|') %}

theme_{{ loop.index }} as (

    select distinct
        feedback_key,
        '{{ theme }}' as theme
    from sentences
    where regexp_matches(
        regexp_replace(sentence, {{ sql_string_literal(cancel) }}, ' ', 'g'),
        {{ sql_string_literal('\\b(?:' ~ pattern ~ ')\\b') }}
    )

){{ ',' if not loop.last }}
{%- endfor %}

{% for theme in themes %}
select * from theme_{{ loop.index }}
{{ 'union all' if not loop.last }}
{% else %}
-- the codebook is not seeded yet (a parse or lint without a database): the same columns, no rows
    select
        feedback_key,
        cast(null as varchar) as theme
    from sentences
    where false
{% endfor %}
