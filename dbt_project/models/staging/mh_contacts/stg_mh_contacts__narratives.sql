{{ config(schema='restricted') }}

-- De-identified free text is kept out of the published warehouse: this model lives in the `restricted`
-- schema, which the build keeps and the published file does not (see docs/disclosure.md).

with

source as (

    select * from {{ source('pseudonymised', 'mh_contacts') }}

),

renamed as (

    select
        record_key as contact_key,
        period as delivery_period,
        cast(clinical_notes as varchar) as clinical_notes
    from source

),

deduplicated as (

    -- the same rule as the feed's main staging model: the latest delivery of a record wins
    select * from renamed
    qualify row_number() over (partition by contact_key order by delivery_period desc) = 1

)

select
    contact_key,
    clinical_notes
from deduplicated
where clinical_notes is not null and trim(clinical_notes) != ''
