{#- A SQL string literal of `text` (single quotes doubled); an empty or missing text matches nothing (`x^`). -#}
{% macro sql_string_literal(text) -%}
    '{{ (text or 'x^') | replace("'", "''") }}'
{%- endmacro %}
