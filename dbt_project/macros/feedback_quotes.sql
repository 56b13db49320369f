{#-
    The rule that chooses the quotes of dashboards.dash_feedback_quotes (docs/disclosure.md, "Quotes: the one
    exception"). It is written twice on purpose: here for dbt, and in Python in pipelines/disclosure/quotes.py, which
    publishing runs over every published quote before the file is swapped in. The constants and the word list must
    be the same in both (tests/unit/disclosure/test_quotes.py compares them).
-#}

{% macro quote_max_characters() %}{{ return(150) }}{% endmacro %}

{% macro quote_min_words() %}{{ return(3) }}{% endmacro %}

{% macro quotes_per_theme() %}{{ return(3) }}{% endmacro %}

{#- Words that make a sentence about someone else, a life event or a place a crisis can be recognised by, or that
    spell out a number: a quote carries none of them (compared as whole lower-case words). -#}
{% macro quote_denied_words() %}
    {{- return([
        'accident', 'aunt', 'baby', 'beach', 'born', 'boyfriend', 'bridge', 'brother', 'brothers', 'canal', 'child',
        'children', 'cliff', 'college', 'court', 'cousin', 'crash', 'dad', 'daughter', 'daughters', 'died',
        'dozen', 'eight', 'eighteen', 'eighty', 'eleven', 'father', 'fifteen', 'fifty', 'five', 'forty', 'four',
        'fourteen', 'friend', 'friends', 'funeral', 'gran', 'grandad', 'grandfather', 'grandma', 'grandmother',
        'girlfriend', 'husband', 'hundred', 'jail', 'job', 'kids', 'motorway', 'mother', 'mum', 'nan', 'neighbour',
        'neighbours', 'nephew', 'niece', 'nine', 'nineteen', 'ninety', 'partner', 'pregnant', 'prison', 'railway',
        'river', 'school', 'seven', 'seventeen', 'seventy', 'sister', 'sisters', 'six', 'sixteen', 'sixty', 'son',
        'sons', 'ten', 'thirteen', 'thirty', 'thousand', 'three', 'twelve', 'twenty', 'two', 'uncle', 'wife',
        'work', 'worked', 'works'
    ]) -}}
{% endmacro %}

{#- One comment as its sentences: a break after . ! or ? followed by white space, or at a line break; each sentence
    trimmed of spaces and tabs. Chr(30) (record separator) marks the breaks. -#}
{% macro quote_sentences(text) -%}
    string_split(
        regexp_replace(
            regexp_replace(replace({{ text }}, chr(13), chr(10)), '([.!?])[ \t\n]+', '\1' || chr(30), 'g'),
            '\n+', chr(30), 'g'
        ),
        chr(30)
    )
{%- endmacro %}

{#- True when a sentence (already trimmed) may be published as a quote: whole, short, no placeholder or symbol, no
    digit, no capitalised word but its first (the pronoun I and its contractions allowed), no denied word. -#}
{% macro quote_is_publishable(sentence) -%}
    (
        regexp_full_match({{ sentence }}, '[A-Z][^.!?]*[.!?]')
        and length({{ sentence }}) <= {{ quote_max_characters() }}
        and len(regexp_split_to_array({{ sentence }}, '[ \t]+')) >= {{ quote_min_words() }}
        and not regexp_matches({{ sentence }}, '[\[\]{}<>@#_|\\*~^=+$%&]')
        and not regexp_matches({{ sentence }}, '\p{Nd}')
        and len(list_filter(
            (regexp_split_to_array({{ sentence }}, '[ \t]+'))[2:],
            lambda w: lower(w) != w and not regexp_full_match(w, '[("''‘“]*I([''’](m|ve|d|ll))?[,;:.!?)"''’”]*')
        )) = 0
        and not list_has_any(
            regexp_split_to_array(lower({{ sentence }}), '[^a-z]+'),
            {{ quote_denied_words() | tojson | replace('"', "'") }}
        )
    )
{%- endmacro %}

{#- Every published quote still follows the rule, checked on the built table: the sentence passes, the theme is
    coded and has more responses than the threshold, the quote is a sentence of a comment of a response coded to
    the theme, and a theme has at most quotes_per_theme() quotes. One failing row per breach, naming the quote. -#}
{% test feedback_quotes_follow_the_rule(model) %}

with

quotes as (

    select * from {{ model }}

),

coded as (

    select distinct
        feedback_key,
        theme
    from {{ ref('fct_feedback_themes') }}

),

theme_sizes as (

    select
        theme,
        count(*) as responses
    from coded
    group by theme

),

sentences as (

    select
        coded.theme,
        trim(unnest({{ quote_sentences('narratives.feedback_comment') }}), ' ' || chr(9)) as sentence
    from {{ ref('stg_feedback__narratives') }} as narratives
    inner join coded on narratives.feedback_key = coded.feedback_key

)

select
    quote_id,
    'the quote breaks the rule' as failure
from quotes
where not coalesce({{ quote_is_publishable('quote') }}, false)

union all

select
    quotes.quote_id,
    'the theme is not coded or has too few responses'
from quotes
left join theme_sizes on quotes.theme = theme_sizes.theme
where quotes.theme = 'no_theme_coded' or coalesce(theme_sizes.responses, 0) <= {{ disclosure_threshold() }}

union all

select
    quotes.quote_id,
    'the quote is not a sentence of a response coded to the theme'
from quotes
where not exists (
    select 1
    from sentences
    where sentences.theme = quotes.theme and sentences.sentence = quotes.quote
)

union all

select
    min(quote_id),
    'more quotes for the theme than the rule allows'
from quotes
group by theme
having count(*) > {{ quotes_per_theme() }}

{% endtest %}
