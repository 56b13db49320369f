select
    cast(feed as {{ type_text() }}) as feed,
    cast(record_key as {{ type_text() }}) as record_key,
    cast(is_plan_in_force as boolean) as is_plan_in_force
from {{ source('synth_truth', 'crisis_care_gaps') }}
