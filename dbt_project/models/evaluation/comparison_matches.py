"""evaluation.comparison_matches: the matched comparison cohort (method and caliper: pipelines/evaluation/matching.py)."""


def model(dbt, session):
    dbt.config(materialized="table")
    from pipelines.evaluation import comparison_matches

    person_months = dbt.ref("evaluation_person_months").df()
    episodes = dbt.ref("evaluation_episodes").df()
    return comparison_matches(person_months, episodes)
