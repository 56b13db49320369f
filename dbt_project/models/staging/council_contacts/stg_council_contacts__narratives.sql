{{ config(schema='restricted') }}

-- De-identified free text is kept out of the published warehouse: this model lives in the `restricted`
-- schema, which the build keeps and the published file does not (see docs/disclosure.md).

with

source as (

    select * from {{ source('pseudonymised', 'council_contacts') }}

),

renamed as (

    select
        record_key as council_contact_key,
        period as delivery_period,
        cast(case_note as varchar) as case_note
    from source

),

deduplicated as (

    -- the same rule as the feed's main staging model: the latest delivery of a record wins
    select * from renamed
    qualify row_number() over (partition by council_contact_key order by delivery_period desc) = 1

)

select
    council_contact_key,
    case_note
from deduplicated
where case_note is not null and trim(case_note) != ''
