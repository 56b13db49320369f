with

records as (

    select * from {{ ref('int_person_records_unioned') }}

),

ethnicity_codes as (

    select * from {{ ref('ethnicity_codes') }}

),

contacts as (

    select * from {{ ref('fct_contacts') }}

),

sex_ranked as (

    -- the sex most often recorded across agencies; a tie goes to the most recent record
    select
        person_key,
        sex
    from (
        select
            person_key,
            sex,
            count(*) as records,
            max(recorded_at) as latest
        from records
        where sex in ('M', 'F')
        group by person_key, sex
    ) as sex_counts
    qualify row_number() over (partition by person_key order by records desc, latest desc, sex asc) = 1

),

ethnicity_ranked as (

    -- precedence: a known group from a health record (the NHS asks people their ethnic category), the most
    -- recent first; then any other known group; "Not known" when no record states one
    select
        records.person_key,
        ethnicity_codes.ethnicity_group,
        records.feed as ethnicity_source_feed
    from records
    inner join ethnicity_codes
        on records.ethnicity_system = ethnicity_codes.coding_system and records.ethnicity_code = ethnicity_codes.code
    where ethnicity_codes.ethnicity_group != 'Not known'
    qualify row_number() over (
        partition by records.person_key
        order by
            case when records.ethnicity_system = 'nhs_ethnic_category' then 0 else 1 end,
            records.recorded_at desc,
            records.record_key asc
    ) = 1

),

imd_latest as (

    select
        person_key,
        imd_decile
    from records
    where imd_decile is not null
    qualify row_number() over (partition by person_key order by recorded_at desc, record_key asc) = 1

),

locality_latest as (

    -- chosen as the IMD decile is: the most recent record that places the home in a locality
    select
        person_key,
        locality_code
    from records
    where locality_code is not null
    qualify row_number() over (partition by person_key order by recorded_at desc, record_key asc) = 1

),

flags as (

    -- a flag recorded yes by any service counts (services under-record more than they over-record); no when
    -- every service that recorded one said no; null when none did
    select
        person_key,
        bool_or(has_disability) as has_disability,
        bool_or(is_neurodivergent) as is_neurodivergent,
        string_agg(distinct feed, ', ' order by feed) filter (where has_disability is not null)
            as disability_source_feeds
    from records
    where has_disability is not null or is_neurodivergent is not null
    group by person_key

),

age_first as (

    select
        person_key,
        age_band
    from records
    where age_band is not null
    qualify row_number() over (partition by person_key order by recorded_at, record_key) = 1

),

age_latest as (

    select
        person_key,
        age_band
    from records
    where age_band is not null
    qualify row_number() over (partition by person_key order by recorded_at desc, record_key asc) = 1

),

contact_summary as (

    select
        person_key,
        min(contact_at) as first_contact_at,
        max(contact_at) as last_contact_at,
        count(*) as contacts,
        count(*) filter (where is_crisis) as crisis_contacts,
        count(*) filter (where is_mental_health_related) as mental_health_contacts,
        count(distinct agency) as agencies_known,
        string_agg(distinct agency, ', ' order by agency) as agencies,
        bool_or(agency = 'police') as is_known_to_police,
        bool_or(agency = 'ambulance') as is_known_to_ambulance,
        bool_or(agency = 'emergency_department') as is_known_to_emergency_department,
        bool_or(agency = 'mental_health_trust') as is_known_to_mental_health_trust,
        bool_or(agency = 'council') as is_known_to_council
    from contacts
    group by person_key

),

people as (

    select distinct person_key from records

)

select
    people.person_key,
    sex_ranked.sex,
    age_first.age_band as age_band_at_first_contact,
    age_latest.age_band as age_band_latest,
    coalesce(ethnicity_ranked.ethnicity_group, 'Not known') as ethnicity_group,
    ethnicity_ranked.ethnicity_source_feed,
    imd_latest.imd_decile,
    cast(ceil(imd_latest.imd_decile / 2) as integer) as imd_quintile,
    locality_latest.locality_code,
    flags.has_disability,
    flags.is_neurodivergent,
    flags.disability_source_feeds,
    contact_summary.first_contact_at,
    contact_summary.last_contact_at,
    coalesce(contact_summary.contacts, 0) as contacts,
    coalesce(contact_summary.crisis_contacts, 0) as crisis_contacts,
    coalesce(contact_summary.mental_health_contacts, 0) as mental_health_contacts,
    coalesce(contact_summary.agencies_known, 0) as agencies_known,
    contact_summary.agencies,
    coalesce(contact_summary.is_known_to_police, false) as is_known_to_police,
    coalesce(contact_summary.is_known_to_ambulance, false) as is_known_to_ambulance,
    coalesce(contact_summary.is_known_to_emergency_department, false) as is_known_to_emergency_department,
    coalesce(contact_summary.is_known_to_mental_health_trust, false) as is_known_to_mental_health_trust,
    coalesce(contact_summary.is_known_to_council, false) as is_known_to_council
from people
left join sex_ranked on people.person_key = sex_ranked.person_key
left join age_first on people.person_key = age_first.person_key
left join age_latest on people.person_key = age_latest.person_key
left join ethnicity_ranked on people.person_key = ethnicity_ranked.person_key
left join imd_latest on people.person_key = imd_latest.person_key
left join locality_latest on people.person_key = locality_latest.person_key
left join contact_summary on people.person_key = contact_summary.person_key
left join flags on people.person_key = flags.person_key
