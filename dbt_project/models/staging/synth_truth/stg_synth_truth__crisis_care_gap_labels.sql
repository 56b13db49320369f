select
    cast(feed as varchar) as feed,
    cast(record_key as varchar) as record_key,
    cast(is_plan_in_force as boolean) as is_plan_in_force
from {{ source('synth_truth', 'crisis_care_gaps') }}
