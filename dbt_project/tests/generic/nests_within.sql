{% test nests_within(model, fine, coarse) %}
{#- Groups of `fine` that span more than one group of `coarse`: `fine` must partition each `coarse` group. -#}
select {{ fine }}, count(distinct {{ coarse }}) as n
from {{ model }}
where {{ fine }} is not null
group by {{ fine }}
having count(distinct {{ coarse }}) > 1
{% endtest %}
