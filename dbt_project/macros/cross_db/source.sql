{#-
    source(), wrapped so a source can be read on Spark from the same parquet files DuckDB reads. Every source of
    this project is parquet in the pseudonymised zone, declared once in its _<feed>__sources.yml with dbt-duckdb's
    `external_location: read_parquet('<glob>', ...)`. On DuckDB the wrapper returns dbt's own source() untouched
    (the compiled SQL does not change). On Spark it reads the same glob as a file relation, parquet.`<glob>`;
    `union_by_name` is the session's spark.sql.parquet.mergeSchema (the spark output in profiles.yml sets it).
    builtins.source() is always called, so dbt records the same lineage (and Dagster the same asset graph).
-#}
{% macro source(source_name, table_name) -%}
    {%- set relation = builtins.source(source_name, table_name) -%}
    {{- return(adapter.dispatch('source_relation', 'hfc_outcomes')(relation, source_name, table_name)) -}}
{%- endmacro %}

{% macro default__source_relation(relation, source_name, table_name) -%}
    {{- return(relation) -}}
{%- endmacro %}

{% macro spark__source_relation(relation, source_name, table_name) -%}
    {%- if not execute -%}
        {{- return(relation) -}}
    {%- endif -%}
    {%- set found = [] -%}
    {%- for node in graph.sources.values() -%}
        {%- if node.source_name == source_name and node.name == table_name -%}
            {%- do found.append(node) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set location = (found[0].config.get('external_location') or '') if found else '' -%}
    {%- set match = modules.re.search("read_parquet\\(\\s*'([^']+)'", location) -%}
    {%- if not match -%}
        {%- do exceptions.raise_compiler_error(
            "source " ~ source_name ~ "." ~ table_name ~ " has no read_parquet external_location to read on Spark"
        ) -%}
    {%- endif -%}
    {{- return('parquet.`' ~ match.group(1) ~ '`') -}}
{%- endmacro %}
