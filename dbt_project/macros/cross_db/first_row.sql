{#- The first row of each group of `relation` (a CTE or relation name): the row that comes first when the rows
    sharing `partition_by` are sorted by `order_by`. DuckDB's QUALIFY; Spark has no QUALIFY, so the row number is
    computed in a subquery and dropped again (Spark 3.4+ `* except`). Sort keys should break every tie: the
    engines order nulls alike only where `nulls first/last` is written out (DuckDB puts them last ascending,
    Spark first). -#}
{% macro first_row(relation, partition_by, order_by) -%}
    {{- adapter.dispatch('first_row', 'hfc_outcomes')(relation, partition_by, order_by) -}}
{%- endmacro %}

{% macro default__first_row(relation, partition_by, order_by) -%}
    select * from {{ relation }}
    qualify row_number() over (partition by {{ partition_by }} order by {{ order_by }}) = 1
{%- endmacro %}

{% macro spark__first_row(relation, partition_by, order_by) -%}
    select * except (_first_row_number)
    from (
        select
            *,
            row_number() over (partition by {{ partition_by }} order by {{ order_by }}) as _first_row_number
        from {{ relation }}
    ) as numbered
    where _first_row_number = 1
{%- endmacro %}
