-- Who is a person under each linkage threshold, and which warehouse person stands for them. The standard linkage
-- is the warehouse's (every person in dim_person, standing for themselves); under the strict and lenient
-- thresholds a person is an alternative key of stg_identity__person_keys, and their sex, age, deprivation,
-- locality and equality flags are those of the warehouse person holding most of their records (ties: the lowest
-- key), so a person the other threshold merges or splits keeps the characteristics most of their records carry.

with

person_keys as (

    select
        person_key,
        person_key_strict,
        person_key_lenient
    from {{ ref('stg_identity__person_keys') }}
    -- only the records of people the warehouse knows (dim_person), so each linkage covers the same records
    where person_key in (select people.person_key from {{ ref('dim_person') }} as people)

),

record_keys as (

    select
        'strict' as linkage,
        person_key_strict as person_key,
        person_key as standard_person_key
    from person_keys
    where person_key_strict is not null
    union all
    select
        'lenient' as linkage,
        person_key_lenient as person_key,
        person_key as standard_person_key
    from person_keys
    where person_key_lenient is not null

),

alternative as (

    select
        linkage,
        person_key,
        standard_person_key,
        count(*) as records
    from record_keys
    group by linkage, person_key, standard_person_key
    qualify row_number() over (partition by linkage, person_key order by records desc, standard_person_key asc) = 1

),

standard as (

    select
        'standard' as linkage,
        person_key,
        person_key as standard_person_key
    from {{ ref('dim_person') }}

)

select
    linkage,
    person_key,
    standard_person_key
from standard
union all
select
    linkage,
    person_key,
    standard_person_key
from alternative
