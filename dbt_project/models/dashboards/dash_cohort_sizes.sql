with

membership as (
    select * from {{ ref('fct_hfc_membership') }}
),

counted as (
    select
        definition_id,
        definition_version,
        month_start,
        count(distinct person_key) filter (where is_member) as members,
        count(distinct person_key) filter (where is_member and not is_window_complete) as members_in_incomplete_window
    from membership
    group by definition_id, definition_version, month_start
)

select
    definition_id,
    definition_version,
    month_start,
    {{ disclosure_count_columns('members') }},
    {{ disclosure_count_columns('members_in_incomplete_window') }}
from counted
