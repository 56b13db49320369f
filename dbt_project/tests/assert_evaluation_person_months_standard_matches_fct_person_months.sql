-- Under the standard linkage the panel is fct_person_months extended to the whole period: the same counts in the
-- months fct_person_months has, zeros before a person's first contact. A month that differs is returned.
select
    panel.person_key,
    panel.month_index
from {{ ref('evaluation_person_months') }} as panel
left join {{ ref('fct_person_months') }} as person_months
    on panel.person_key = person_months.person_key and panel.month_start = person_months.month_start
where
    panel.linkage = 'standard'
    and (
        panel.crisis_contacts != coalesce(person_months.contacts, 0)
        or panel.police_contacts != coalesce(person_months.police_contacts, 0)
        or panel.ambulance_contacts != coalesce(person_months.ambulance_contacts, 0)
        or panel.emergency_department_contacts != coalesce(person_months.emergency_department_contacts, 0)
        or panel.mental_health_trust_contacts != coalesce(person_months.mental_health_trust_contacts, 0)
        or panel.council_contacts != coalesce(person_months.council_contacts, 0)
    )
