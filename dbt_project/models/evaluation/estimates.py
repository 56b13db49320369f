"""evaluation.estimates: naive before/after and matched difference-in-differences, per intervention, outcome,
window and subgroup (methods: pipelines/evaluation/estimates.py). The disclosure threshold is
HFC_DISCLOSURE_THRESHOLD (default 7), read by pipelines.settings."""


def model(dbt, session):
    dbt.config(materialized="table")
    from pipelines.evaluation import estimates_table
    from pipelines.evaluation.config import disclosure_threshold

    person_months = dbt.ref("evaluation_person_months").df()
    episodes = dbt.ref("evaluation_episodes").df()
    scores = dbt.ref("evaluation_scores").df()
    matches = dbt.ref("comparison_matches").df()
    return estimates_table(person_months, episodes, scores, matches, threshold=disclosure_threshold())
