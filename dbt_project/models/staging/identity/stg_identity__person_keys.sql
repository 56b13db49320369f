with

source as (

    select * from {{ source('pseudonymised', 'person_keys') }}

),

renamed as (

    select
        cast(feed as varchar) as feed,
        cast(record_key as varchar) as record_key,
        cast(person_key as varchar) as person_key,
        cast(person_key_strict as varchar) as person_key_strict,
        cast(person_key_lenient as varchar) as person_key_lenient,
        cast(key_id as varchar) as pseudonymisation_key_id
    from source

)

select * from renamed
