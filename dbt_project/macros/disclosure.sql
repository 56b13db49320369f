{#-
    Disclosure control of the dash_* marts (docs/disclosure.md, "The rule"): a count of 1 to the threshold is
    suppressed (null, with a reason in its <name>_suppression column), every other count is rounded to the nearest
    multiple of the rounding base (halves up), a true zero is shown, and a mean or percentage appears only where
    the count of people behind it survives. The threshold (default 7) and the base (default 5) come from
    HFC_DISCLOSURE_THRESHOLD and HFC_DISCLOSURE_ROUNDING_BASE through the vars in dbt_project.yml; a value that
    would weaken control stops the build. No setting switches control off.
-#}

{% macro disclosure_setting(name, minimum) -%}
    {%- set raw = (var(name, '') | string | trim) -%}
    {%- if raw == '' -%}
        {%- set raw = minimum | string -%}
    {%- endif -%}
    {%- if not raw.isdigit() -%}
        {%- do exceptions.raise_compiler_error(
            name ~ " must be a whole number of " ~ minimum ~ " or more: disclosure control cannot be switched off"
        ) -%}
    {%- endif -%}
    {%- set value = raw | int -%}
    {%- if value < minimum -%}
        {%- do exceptions.raise_compiler_error(
            name ~ " is " ~ value ~ ", below " ~ minimum ~ ": disclosure control can be made stricter, never weaker or off"
        ) -%}
    {%- endif -%}
    {{- return(value) -}}
{%- endmacro %}

{% macro disclosure_threshold() -%}
    {{- return(disclosure_setting('disclosure_threshold', 7)) -}}
{%- endmacro %}

{% macro disclosure_rounding_base() -%}
    {%- set base = disclosure_setting('disclosure_rounding_base', 5) -%}
    {%- if base > 2 * (disclosure_threshold() + 1) -%}
        {%- do exceptions.raise_compiler_error(
            "disclosure_rounding_base " ~ base ~ " is more than twice one above the threshold: a count just above "
            ~ "the threshold would be published as 0"
        ) -%}
    {%- endif -%}
    {{- return(base) -}}
{%- endmacro %}

{#- The published count: null when 1 to the threshold, 0 when 0, otherwise rounded to the base, halves up. -#}
{% macro disclosure_count(expr) -%}
    {%- set threshold = disclosure_threshold() -%}
    {%- set base = disclosure_rounding_base() -%}
    cast(case
        when ({{ expr }}) is null then null
        when ({{ expr }}) = 0 then 0
        when ({{ expr }}) <= {{ threshold }} then null
        else ((({{ expr }}) * 2 + {{ base }}) // {{ 2 * base }}) * {{ base }}
    end as bigint)
{%- endmacro %}

{#- Why a count is not shown: suppressed_1_to_threshold, or null when it is shown. -#}
{% macro disclosure_count_suppression(expr) -%}
    case
        when ({{ expr }}) between 1 and {{ disclosure_threshold() }} then 'suppressed_1_to_threshold'
    end
{%- endmacro %}

{#- A published count with its reason beside it: the columns `name` and `name_suppression`, counting `name`. -#}
{% macro disclosure_count_columns(name) -%}
    {{ disclosure_count(name) }} as {{ name }},
    {{ disclosure_count_suppression(name) }} as {{ name }}_suppression
{%- endmacro %}

{#- A mean, median or percentage, shown only where the count of people behind it survives (and is not 0). -#}
{% macro disclosure_statistic(expr, people_expr) -%}
    case
        when ({{ people_expr }}) > {{ disclosure_threshold() }} then {{ expr }}
    end
{%- endmacro %}

{#- Why a statistic is not shown: count_suppressed where the people behind it are 1 to the threshold. -#}
{% macro disclosure_statistic_suppression(people_expr) -%}
    case
        when ({{ people_expr }}) between 1 and {{ disclosure_threshold() }} then 'count_suppressed'
    end
{%- endmacro %}
