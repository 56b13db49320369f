with

source as (

    select * from {{ source('pseudonymised', 'person_keys') }}

),

renamed as (

    select
        cast(feed as {{ type_text() }}) as feed,
        cast(record_key as {{ type_text() }}) as record_key,
        cast(person_key as {{ type_text() }}) as person_key,
        cast(person_key_strict as {{ type_text() }}) as person_key_strict,
        cast(person_key_lenient as {{ type_text() }}) as person_key_lenient,
        cast(key_id as {{ type_text() }}) as pseudonymisation_key_id
    from source

)

select * from renamed
