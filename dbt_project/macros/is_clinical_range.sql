{#- Whether a score is in the clinical range of its measure; the side the cut-off itself falls on is data. -#}
{% macro is_clinical_range(score, cutoff, direction) -%}
    case {{ direction }}
        when 'at_or_above_is_clinical' then {{ score }} >= {{ cutoff }}
        when 'above_is_clinical' then {{ score }} > {{ cutoff }}
        when 'at_or_below_is_clinical' then {{ score }} <= {{ cutoff }}
        when 'below_is_clinical' then {{ score }} < {{ cutoff }}
    end
{%- endmacro %}
