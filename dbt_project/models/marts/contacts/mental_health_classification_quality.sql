-- How well mental-health involvement is identified, against the synthetic county's truth (demo runs), for
-- the agency's own tag, our classifier (codes and de-identified narrative), and the flag fct_contacts
-- carries (either of them). With no truth (production) the table is empty: it cannot be measured there.

with

contacts as (

    select * from {{ ref('fct_contacts') }}
    where feed in ('police_incidents', 'ambulance_calls', 'ed_attendances')

),

truth as (

    select * from {{ ref('stg_synth_truth__mental_health_labels') }}

),

labelled as (

    select
        contacts.feed,
        truth.is_mental_health_related as is_truly_mental_health_related,
        contacts.is_agency_tagged_mental_health,
        contacts.is_classifier_mental_health_related,
        contacts.is_mental_health_related
    from contacts
    inner join truth on contacts.feed = truth.feed and contacts.contact_key = truth.record_key

),

methods as (

    select
        feed,
        'agency_tag' as method,
        is_truly_mental_health_related,
        is_agency_tagged_mental_health as predicted
    from labelled
    union all
    select
        feed,
        'classifier' as method,
        is_truly_mental_health_related,
        is_classifier_mental_health_related as predicted
    from labelled
    union all
    select
        feed,
        'combined' as method,
        is_truly_mental_health_related,
        is_mental_health_related as predicted
    from labelled

)

select
    feed,
    method,
    count(*) as records,
    count(*) filter (where is_truly_mental_health_related) as truly_mental_health_related,
    count(*) filter (where predicted and is_truly_mental_health_related) as true_positives,
    count(*) filter (where predicted and not is_truly_mental_health_related) as false_positives,
    count(*) filter (where not predicted and is_truly_mental_health_related) as false_negatives,
    count(*) filter (where predicted and is_truly_mental_health_related)
    / nullif(count(*) filter (where predicted), 0) as precision,
    count(*) filter (where predicted and is_truly_mental_health_related)
    / nullif(count(*) filter (where is_truly_mental_health_related), 0) as recall
from methods
group by feed, method
