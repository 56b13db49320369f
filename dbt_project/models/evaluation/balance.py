"""evaluation.balance: standardised mean differences of the matching variables before and after matching."""


def model(dbt, session):
    dbt.config(materialized="table")
    from pipelines.evaluation import balance_table
    from pipelines.evaluation.config import disclosure_threshold

    person_months = dbt.ref("evaluation_person_months").df()
    episodes = dbt.ref("evaluation_episodes").df()
    matches = dbt.ref("comparison_matches").df()
    return balance_table(person_months, episodes, matches, threshold=disclosure_threshold())
