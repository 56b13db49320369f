select
    cast(record_key as {{ type_text() }}) as feedback_key,
    cast(theme as {{ type_text() }}) as theme
from {{ source('synth_truth', 'feedback_themes') }}
