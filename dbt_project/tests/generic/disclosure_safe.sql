{% test disclosure_safe(model, statistics={}) %}
{#-
    Every way a dash_* mart could break the disclosure rule (macros/disclosure.sql), one failing row each:
    - a count (every integer column) between 1 and the threshold, or not a multiple of the rounding base;
    - a count without its <name>_suppression column, or null without a reason, or shown with one;
    - a statistic (`statistics`: column -> the count of people behind it, or a list of counts) shown where that
      count (any of them) did not survive (null or 0), or a non-integer number column that is not declared as a
      statistic.
-#}
{%- set threshold = disclosure_threshold() -%}
{%- set base = disclosure_rounding_base() -%}
{%- set checks = [] -%}
{%- if execute -%}
    {%- set columns = adapter.get_columns_in_relation(model) -%}
    {%- set names = columns | map(attribute='name') | map('lower') | list -%}
    {%- for column in columns -%}
        {%- set name = column.name | lower -%}
        {%- set type = column.data_type | lower -%}
        {%- if type in ('bigint', 'integer', 'int', 'smallint', 'tinyint', 'hugeint', 'ubigint', 'uinteger') -%}
            {%- if (name ~ '_suppression') in names -%}
                {%- do checks.append(
                    "select '" ~ name ~ "' as column_name, 'count between 1 and the threshold' as failure from "
                    ~ model ~ " where " ~ name ~ " between 1 and " ~ threshold
                ) -%}
                {%- do checks.append(
                    "select '" ~ name ~ "', 'count not a multiple of the rounding base' from " ~ model
                    ~ " where " ~ name ~ " % " ~ base ~ " <> 0"
                ) -%}
                {%- do checks.append(
                    "select '" ~ name ~ "', 'count null without a reason, or shown with one' from " ~ model
                    ~ " where (" ~ name ~ " is null) <> (" ~ name ~ "_suppression is not null)"
                ) -%}
            {%- else -%}
                {%- do checks.append("select '" ~ name ~ "', 'count without a suppression column'") -%}
            {%- endif -%}
        {%- elif name in statistics -%}
            {%- set behind = [statistics[name]] if statistics[name] is string else statistics[name] -%}
            {%- for count in behind -%}
                {%- do checks.append(
                    "select '" ~ name ~ "', 'statistic shown where its count did not survive' from " ~ model
                    ~ " where " ~ name ~ " is not null and coalesce(" ~ count ~ ", 0) = 0"
                ) -%}
            {%- endfor -%}
        {%- elif type.startswith('double') or type.startswith('float') or type.startswith('decimal')
            or type.startswith('real') or type.startswith('numeric') -%}
            {%- do checks.append("select '" ~ name ~ "', 'number column not declared as a statistic'") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for name in statistics -%}
        {%- if name not in names -%}
            {%- do checks.append("select '" ~ name ~ "', 'declared statistic is not a column'") -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif -%}
{%- if checks -%}
{{ checks | join('\nunion all\n') }}
{%- else -%}
select null as column_name, null as failure where false
{%- endif %}
{% endtest %}
