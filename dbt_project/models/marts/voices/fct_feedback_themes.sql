-- People's own words, coded: each feedback response with each theme the codebook finds in it, and its rating.
-- A response with no coded theme appears once with theme `no_theme_coded`, so ratings are never lost.

with

responses as (

    select * from {{ ref('stg_feedback__responses') }}

),

person_keys as (

    select
        record_key,
        person_key
    from {{ ref('stg_identity__person_keys') }}
    where feed = 'feedback'

),

coded as (

    select * from {{ ref('int_feedback_themes_coded') }}

),

codebook as (

    select
        theme,
        any_value(version) as codebook_version,
        any_value(description) as theme_description
    from {{ ref('feedback_codebook') }}
    group by theme

),

themed as (

    select
        responses.feedback_key,
        coalesce(coded.theme, 'no_theme_coded') as theme
    from responses
    left join coded on responses.feedback_key = coded.feedback_key

),

final as (

    select
        themed.feedback_key,
        themed.theme,
        person_keys.person_key,
        responses.submitted_at,
        cast(date_trunc('month', responses.submitted_at) as date) as submitted_month,
        responses.service_code,
        responses.channel_code,
        responses.rating,
        responses.is_anonymous,
        responses.has_feedback_comment,
        codebook.codebook_version,
        codebook.theme_description
    from themed
    inner join responses on themed.feedback_key = responses.feedback_key
    left join person_keys on themed.feedback_key = person_keys.record_key
    left join codebook on themed.theme = codebook.theme

)

select
    final.*,
    {{ equality_columns('people') }}
from final
left join {{ ref('dim_person') }} as people on final.person_key = people.person_key
