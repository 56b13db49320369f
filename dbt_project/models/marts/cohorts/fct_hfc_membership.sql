{#-
    Membership of every high-frequency cohort definition in the registry (seed hfc_definitions), for every
    person and month of the panel. A definition counts the contacts in its agency scope (and filter) over a
    window of months ending with the month in question; the registry says whether the count must be more than,
    or at least, its threshold, or whether the person must be in the top k% of people with any such contact.
    Rolling counts are computed once for each supported window; a registry row with another window fails the
    accepted_values test on hfc_definitions.window_months.
-#}
{%- set windows = [1, 3, 6, 12] -%}
{%- set scopes = {
    'all:all': 'contacts',
    'all:mental_health_related': 'mental_health_contacts',
    'all:crisis': 'crisis_contacts',
    'ed_attendances:all': 'emergency_department_contacts',
    'ambulance_calls:all': 'ambulance_contacts',
    'police_incidents:all': 'police_contacts',
    'police_incidents:mental_health_related': 'police_mental_health_contacts',
    'mh_contacts:all': 'mental_health_trust_contacts',
    'council_contacts:all': 'council_contacts',
} -%}
{%- set agency_columns = [
    'police_contacts', 'ambulance_contacts', 'emergency_department_contacts', 'mental_health_trust_contacts',
    'council_contacts',
] %}

with

person_months as (

    select * from {{ ref('fct_person_months') }}

),

definitions as (

    select
        definition_id,
        cast(version as varchar) as definition_version,
        agency_scope || ':' || contact_filter as scope_key,
        cast(min_age as integer) as min_age,
        cast(max_age as integer) as max_age,
        cast(window_months as integer) as window_months,
        cast(threshold as double) as threshold,
        threshold_kind,
        coalesce(cast(min_agencies as integer), 1) as min_agencies
    from {{ ref('hfc_definitions') }}

),

data_start as (

    select min(month_start) as first_month from person_months

),

rolling as (

    select
        person_key,
        month_start,
        age_band,
        {%- for w in windows %}
            {%- for column in scopes.values() %}
                sum({{ column }}) over (
                    partition by person_key order by month_start rows between {{ w - 1 }} preceding and current row
                ) as {{ column }}_{{ w }}m,
            {%- endfor %}
            {%- for column in agency_columns %}
                cast(sum({{ column }}) over (
                    partition by person_key order by month_start rows between {{ w - 1 }} preceding and current row
                ) > 0 as integer){{ ' +' if not loop.last else ' as agencies_' ~ w ~ 'm,' }}
            {%- endfor %}
        {%- endfor %}
        cast(split_part(replace(age_band, '+', '-'), '-', 1) as integer) as age_from,
        cast(nullif(split_part(replace(age_band, '+', '-'), '-', 2), '') as integer) as age_to
    from person_months

),

counted as (

    select
        rolling.person_key,
        rolling.month_start,
        definitions.definition_id,
        definitions.definition_version,
        definitions.threshold,
        definitions.threshold_kind,
        definitions.min_agencies,
        case
            {%- for w in windows %}
                {%- for scope, column in scopes.items() %}
                    when definitions.window_months = {{ w }} and definitions.scope_key = '{{ scope }}'
                        then rolling.{{ column }}_{{ w }}m
                {%- endfor %}
            {%- endfor %}
        end as contacts_in_window,
        case definitions.window_months
            {%- for w in windows %}
                when {{ w }} then rolling.agencies_{{ w }}m
            {%- endfor %}
        end as agencies_in_window,
        -- the window reaches back before the first month of the data, so its count may be short
        rolling.month_start >= data_start.first_month + to_months(definitions.window_months - 1) as is_window_complete,
        -- an age-limited definition needs a known band wholly inside its ages
        coalesce(
            (definitions.min_age is null or rolling.age_from >= definitions.min_age)
            and (definitions.max_age is null or rolling.age_to <= definitions.max_age),
            false
        ) as is_age_in_scope
    from rolling
    cross join definitions
    cross join data_start

)

select
    person_key,
    month_start,
    definition_id,
    definition_version,
    contacts_in_window,
    agencies_in_window,
    is_window_complete,
    coalesce(
        is_age_in_scope
        and agencies_in_window >= min_agencies
        and case threshold_kind
            when 'at_least_in_window' then contacts_in_window >= threshold
            when 'more_than_in_window' then contacts_in_window > threshold
            -- the top k% of the people with at least one such contact in the window (ties broken by key)
            when 'top_percent' then contacts_in_window > 0 and row_number() over (
                partition by definition_id, definition_version, month_start, contacts_in_window > 0
                order by contacts_in_window desc, person_key asc
            ) <= ceil(threshold / 100.0 * count(*) over (
                partition by definition_id, definition_version, month_start, contacts_in_window > 0
            ))
        end,
        false
    ) as is_member
from counted
