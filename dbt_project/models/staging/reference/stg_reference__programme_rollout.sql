with

source as (

    select * from {{ source('pseudonymised', 'programme_rollout') }}

),

renamed as (

    select
        cast(locality_code as {{ type_text() }}) as locality_code,
        cast(intervention as {{ type_text() }}) as intervention,
        cast(go_live_date as date) as go_live_on
    from source

)

select * from renamed
