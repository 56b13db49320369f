{#-
    A feed's de-identified free text, for the restricted schema: the record's key and its text, deduplicated by the
    same rule as the feed's main staging model (the latest delivery of a record wins), blank text left out.
    Free text is kept out of the published warehouse (docs/disclosure.md); only these models hold it.
-#}
{% macro restricted_narratives(source_table, key, text_column) -%}

with

source as (

    select * from {{ source('pseudonymised', source_table) }}

),

renamed as (

    select
        record_key as {{ key }},
        period as delivery_period,
        cast({{ text_column }} as varchar) as {{ text_column }}
    from source

),

deduplicated as (

    select * from renamed
    qualify row_number() over (partition by {{ key }} order by delivery_period desc) = 1

)

select
    {{ key }},
    {{ text_column }}
from deduplicated
where {{ text_column }} is not null and trim({{ text_column }}) != ''

{%- endmacro %}
