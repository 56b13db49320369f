{{ config(schema='restricted') }}

-- De-identified free text is kept out of the published warehouse: this model lives in the `restricted`
-- schema, which the build keeps and the published file does not (see docs/disclosure.md).

with

source as (

    select * from {{ source('pseudonymised', 'police_incidents') }}

),

renamed as (

    select
        record_key as incident_key,
        period as delivery_period,
        cast(narrative as varchar) as narrative
    from source

),

deduplicated as (

    -- the same rule as the feed's main staging model: the latest delivery of a record wins
    select * from renamed
    qualify row_number() over (partition by incident_key order by delivery_period desc) = 1

)

select
    incident_key,
    narrative
from deduplicated
where narrative is not null and trim(narrative) != ''
