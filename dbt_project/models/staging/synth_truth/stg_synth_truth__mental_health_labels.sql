select
    cast(feed as varchar) as feed,
    cast(record_key as varchar) as record_key,
    cast(is_mental_health_related as boolean) as is_mental_health_related
from {{ source('synth_truth', 'mental_health') }}
