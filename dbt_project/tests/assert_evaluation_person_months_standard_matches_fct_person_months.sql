-- Under the standard linkage the panel is fct_person_months extended to the whole period: the same counts in the
-- months fct_person_months has, zeros before a person's first contact. A month that differs is returned.
select
    panel.person_key,
    panel.month_index
from {{ ref('evaluation_person_months') }} as panel
left join {{ ref('fct_person_months') }} as warehouse
    on panel.person_key = warehouse.person_key and panel.month_start = warehouse.month_start
where
    panel.linkage = 'standard'
    and (
        panel.crisis_contacts != coalesce(warehouse.contacts, 0)
        or panel.police_contacts != coalesce(warehouse.police_contacts, 0)
        or panel.ambulance_contacts != coalesce(warehouse.ambulance_contacts, 0)
        or panel.emergency_department_contacts != coalesce(warehouse.emergency_department_contacts, 0)
        or panel.mental_health_trust_contacts != coalesce(warehouse.mental_health_trust_contacts, 0)
        or panel.council_contacts != coalesce(warehouse.council_contacts, 0)
    )
