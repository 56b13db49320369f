select
    cast(record_key as varchar) as feedback_key,
    cast(theme as varchar) as theme
from {{ source('synth_truth', 'feedback_themes') }}
