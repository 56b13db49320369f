{#- The text type: DuckDB's varchar; Spark's parser wants a length for varchar, and its text type is string. Not
    dbt.type_string(), which gives `TEXT` on DuckDB (the same type under another name). -#}
{% macro type_text() -%}
    {{- return(adapter.dispatch('type_text', 'hfc_outcomes')()) -}}
{%- endmacro %}

{% macro default__type_text() -%}
    {{- return('varchar') -}}
{%- endmacro %}

{% macro spark__type_text() -%}
    {{- return('string') -}}
{%- endmacro %}
