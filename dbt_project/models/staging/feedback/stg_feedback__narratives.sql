{{ config(schema='restricted') }}

-- De-identified free text is kept out of the published warehouse: this model lives in the `restricted`
-- schema, which the build keeps and the published file does not (see docs/disclosure.md).

with

source as (

    select * from {{ source('pseudonymised', 'feedback') }}

),

renamed as (

    select
        record_key as feedback_key,
        period as delivery_period,
        cast(feedback_comment as varchar) as feedback_comment
    from source

),

deduplicated as (

    -- the same rule as the feed's main staging model: the latest delivery of a record wins
    select * from renamed
    qualify row_number() over (partition by feedback_key order by delivery_period desc) = 1

)

select
    feedback_key,
    feedback_comment
from deduplicated
where feedback_comment is not null and trim(feedback_comment) != ''
