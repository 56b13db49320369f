-- depends_on: {{ ref('mental_health_terms') }}
-- depends_on: {{ ref('mental_health_negations') }}
{#-
    Our transparent mental-health identification rule for police, ambulance and ED contacts.
    The rule set is data (seeds mental_health_terms, mental_health_negations, mental_health_codes, each
    versioned and cited); this model only applies it:
      - a strong code, or a strong term in a sentence of the narrative, marks the contact;
      - otherwise two pieces of weak evidence do (a weak code and a weak term, or two different weak terms);
      - a negated or other-sense mention (mental_health_negations) is removed from its sentence first,
        so "no MH concerns" or "cost of living crisis" counts for nothing.
    The terms are compiled into one regular expression per feed and strength when dbt compiles the model, so
    DuckDB compiles each pattern once.
-#}
{%- set feeds = ['police_incidents', 'ambulance_calls', 'ed_attendances'] -%}
{%- set patterns = {} -%}
{%- if execute and load_relation(ref('mental_health_terms')) is not none -%}
    {%- set term_sql -%}
        select
            f.feed,
            t.strength,
            string_agg(
                '(?:' || case when t.pattern_kind = 'phrase' then regexp_escape(lower(t.pattern)) else t.pattern end || ')',
                '|' order by t.term_id
            ) as alternation
        from {{ ref('mental_health_terms') }} as t
        cross join (select unnest({{ feeds }}) as feed) as f
        where t.feed = '*' or t.feed = f.feed
        group by f.feed, t.strength
    {%- endset -%}
    {%- for row in run_query(term_sql).rows -%}
        {%- do patterns.update({row[0] ~ ':' ~ row[1]: row[2]}) -%}
    {%- endfor -%}
    {%- set negation_sql -%}
        select string_agg(
            '(?:' || case when pattern_kind = 'phrase' then regexp_escape(lower(pattern)) else pattern end || ')',
            '|'
        )
        from {{ ref('mental_health_negations') }}
    {%- endset -%}
    {%- set negations = run_query(negation_sql).rows[0][0] or 'x^' -%}
{%- else -%}
    {%- set negations = 'x^' -%}
{%- endif %}

with

codes as (

    select
        feed,
        column_name,
        code,
        strength
    from {{ ref('mental_health_codes') }}

),

contacts as (

    select
        incident_key as contact_key,
        'police_incidents' as feed,
        opening_code as first_code,
        closing_code as second_code,
        coalesce(is_mental_health_related, false) as is_agency_tagged
    from {{ ref('stg_police_incidents__incidents') }}
    union all
    select
        call_key as contact_key,
        'ambulance_calls' as feed,
        chief_complaint_code as first_code,
        cast(null as varchar) as second_code,
        coalesce(is_mental_health_related, false) as is_agency_tagged
    from {{ ref('stg_ambulance_calls__calls') }}
    union all
    select
        attendance_key as contact_key,
        'ed_attendances' as feed,
        chief_complaint_code as first_code,
        cast(null as varchar) as second_code,
        coalesce(has_liaison_psychiatry_referral, false) as is_agency_tagged
    from {{ ref('stg_ed_attendances__attendances') }}

),

narratives as (

    select
        incident_key as contact_key,
        'police_incidents' as feed,
        narrative as narrative_text
    from {{ ref('stg_police_incidents__narratives') }}
    union all
    select
        call_key as contact_key,
        'ambulance_calls' as feed,
        clinical_notes as narrative_text
    from {{ ref('stg_ambulance_calls__narratives') }}
    union all
    select
        attendance_key as contact_key,
        'ed_attendances' as feed,
        clinical_notes as narrative_text
    from {{ ref('stg_ed_attendances__narratives') }}

),

code_evidence as (

    select
        contacts.contact_key,
        contacts.feed,
        coalesce(bool_or(codes.strength = 'strong'), false) as has_strong_code,
        -- the agency's own hand-set flag is one piece of weak evidence: it is wrong too often to decide alone
        count(distinct case when codes.strength = 'weak' then codes.code end)
        + max(cast(contacts.is_agency_tagged as integer)) as weak_codes
    from contacts
    left join codes
        on
            contacts.feed = codes.feed
            and (
                (codes.column_name in ('opening_code', 'chief_complaint_code') and contacts.first_code = codes.code)
                or (codes.column_name = 'closing_code' and contacts.second_code = codes.code)
            )
    group by contacts.contact_key, contacts.feed

),

sentences as (

    -- negated or other-sense mentions are blanked within their own sentence before any term is matched
    select
        contact_key,
        feed,
        regexp_replace(sentence, {{ sql_string_literal(negations) }}, ' ', 'g') as sentence
    from (
        select
            contact_key,
            feed,
            unnest(string_split_regex(lower(narrative_text), '[.!?;]+(\s|$)|\n')) as sentence
        from narratives
    ) as split_sentences

),

sentence_evidence as (

    select
        contact_key,
        feed,
        case feed
            {%- for feed in feeds %}
                when
                    '{{ feed }}'
                    then
                        regexp_matches(
                            sentence, {{ sql_string_literal('\\b(?:' ~ patterns.get(feed ~ ':strong', 'x^') ~ ')\\b') }}
                        )
            {%- endfor %}
        end as has_strong_term,
        case feed
            {%- for feed in feeds %}
                when
                    '{{ feed }}'
                    then
                        regexp_extract_all(
                            sentence, {{ sql_string_literal('\\b(?:' ~ patterns.get(feed ~ ':weak', 'x^') ~ ')\\b') }}
                        )
            {%- endfor %}
        end as weak_terms
    from sentences

),

narrative_evidence as (

    select
        contact_key,
        feed,
        bool_or(has_strong_term) as has_strong_term,
        len(list_distinct(flatten(list(weak_terms)))) as weak_terms
    from sentence_evidence
    group by contact_key, feed

)

select
    code_evidence.contact_key,
    code_evidence.feed,
    code_evidence.has_strong_code,
    code_evidence.weak_codes,
    coalesce(narrative_evidence.has_strong_term, false) as has_strong_term,
    coalesce(narrative_evidence.weak_terms, 0) as weak_terms,
    code_evidence.has_strong_code or coalesce(narrative_evidence.has_strong_term, false)
    or (code_evidence.weak_codes + coalesce(narrative_evidence.weak_terms, 0)) >= 2 as is_mental_health_related,
    case
        when code_evidence.has_strong_code then 'codes'
        when coalesce(narrative_evidence.has_strong_term, false) then 'narrative'
        when (code_evidence.weak_codes + coalesce(narrative_evidence.weak_terms, 0)) >= 2
            then case when coalesce(narrative_evidence.weak_terms, 0) > 0 then 'narrative' else 'codes' end
        else 'none'
    end as classifier_source
from code_evidence
left join narrative_evidence
    on code_evidence.contact_key = narrative_evidence.contact_key and code_evidence.feed = narrative_evidence.feed
