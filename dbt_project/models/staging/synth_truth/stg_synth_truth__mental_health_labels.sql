select
    cast(feed as {{ type_text() }}) as feed,
    cast(record_key as {{ type_text() }}) as record_key,
    cast(is_mental_health_related as boolean) as is_mental_health_related
from {{ source('synth_truth', 'mental_health') }}
