-- How well the crisis-plan rule finds crisis contacts that ended without care, against the synthetic county's
-- truth (demo runs only; empty in production): contacts found, missed and wrongly found, overall and for people
-- whose plan was in force.

with

found as (

    select
        contact_key,
        feed,
        is_crisis_plan_in_force
    from {{ ref('fct_safety_events') }}
    where event_type = 'crisis_care_not_provided'

),

truth as (

    select
        record_key as contact_key,
        feed,
        is_plan_in_force
    from {{ ref('stg_synth_truth__crisis_care_gap_labels') }}

),

truth_rows as (

    select count(*) as n from truth

),

compared as (

    select
        coalesce(found.feed, truth.feed) as feed,
        found.contact_key is not null as is_found,
        truth.contact_key is not null as is_true,
        coalesce(found.is_crisis_plan_in_force, false) as is_found_with_plan,
        coalesce(truth.is_plan_in_force, false) as is_true_with_plan
    from found
    full outer join truth on found.contact_key = truth.contact_key and found.feed = truth.feed
    where (select truth_rows.n from truth_rows) > 0

)

select
    feed,
    count(*) filter (where is_true) as true_gaps,
    count(*) filter (where is_found and is_true) as found_true,
    count(*) filter (where is_found and not is_true) as found_false,
    count(*) filter (where is_found and is_true) / nullif(count(*) filter (where is_found), 0) as precision,
    count(*) filter (where is_found and is_true) / nullif(count(*) filter (where is_true), 0) as recall,
    count(*) filter (where is_true_with_plan) as true_gaps_with_plan,
    count(*) filter (where is_found_with_plan and is_true_with_plan) as found_with_plan_true,
    count(*) filter (where is_found_with_plan and is_true_with_plan)
    / nullif(count(*) filter (where is_found_with_plan), 0) as precision_with_plan,
    count(*) filter (where is_found_with_plan and is_true_with_plan)
    / nullif(count(*) filter (where is_true_with_plan), 0) as recall_with_plan
from compared
group by feed
