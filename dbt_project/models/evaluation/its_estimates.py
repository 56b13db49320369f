"""evaluation.its_estimates: interrupted time series of each locality's monthly demand around the team's go-live.

Thin: the statistics live in pipelines.evaluation.area (documented there); this reads evaluation.area_months.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from pipelines.evaluation.area import interrupted_time_series

    return interrupted_time_series(dbt.ref("area_months").df())
