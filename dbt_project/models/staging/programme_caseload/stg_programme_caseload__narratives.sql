{{ config(schema='restricted') }}

-- De-identified free text is kept out of the published warehouse: this model lives in the `restricted`
-- schema, which the build keeps and the published file does not (see docs/disclosure.md).

with

source as (

    select * from {{ source('pseudonymised', 'programme_caseload') }}

),

renamed as (

    select
        record_key as caseload_event_key,
        period as delivery_period,
        cast(coordinator_note as varchar) as coordinator_note
    from source

),

deduplicated as (

    -- the same rule as the feed's main staging model: the latest delivery of a record wins
    select * from renamed
    qualify row_number() over (partition by caseload_event_key order by delivery_period desc) = 1

)

select
    caseload_event_key,
    coordinator_note
from deduplicated
where coordinator_note is not null and trim(coordinator_note) != ''
