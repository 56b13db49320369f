-- Every first episode's person, under its linkage, is a person of the panel (evaluation_person_keys), so the
-- panel's first step up and the episodes agree. An episode whose person the panel does not know is returned.
select
    episodes.linkage,
    episodes.intervention_episode_key
from {{ ref('evaluation_episodes') }} as episodes
left join {{ ref('evaluation_person_keys') }} as people
    on episodes.linkage = people.linkage and episodes.person_key = people.person_key
where people.person_key is null
