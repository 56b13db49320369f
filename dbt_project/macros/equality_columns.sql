{#-
    The equality dimensions every outcome mart carries from dim_person (joined on person_key as `alias`), so any
    outcome can be cut by ethnicity group, sex, age band, IMD quintile, disability and neurodiversity without a join.
-#}
{% macro equality_columns(alias) -%}
    {{ alias }}.ethnicity_group,
    {{ alias }}.sex as person_sex,
    {{ alias }}.age_band_latest as person_age_band,
    {{ alias }}.imd_quintile,
    {{ alias }}.has_disability,
    {{ alias }}.is_neurodivergent
{%- endmacro %}
