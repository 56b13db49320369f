"""evaluation.estimates: naive before/after and matched difference-in-differences, per intervention, outcome,
window and subgroup (methods: pipelines/evaluation/estimates.py), with the area-level designs beside them: the
staggered-adoption estimator (Callaway and Sant'Anna, method staggered_cs) and the pooled interrupted time series
(method interrupted_time_series), both from pipelines/evaluation/area.py. The disclosure threshold is
HFC_DISCLOSURE_THRESHOLD (default 7), read by pipelines.settings."""


def model(dbt, session):
    dbt.config(materialized="table")
    import pandas as pd

    from pipelines.evaluation.area import its_estimate_rows, staggered_rows
    from pipelines.evaluation.config import disclosure_threshold
    from pipelines.evaluation.estimates import ESTIMATE_COLUMNS, estimates_table

    person_months = dbt.ref("evaluation_person_months").df()
    episodes = dbt.ref("evaluation_episodes").df()
    scores = dbt.ref("evaluation_scores").df()
    matches = dbt.ref("comparison_matches").df()
    person_level = estimates_table(person_months, episodes, scores, matches, threshold=disclosure_threshold())
    area_months = dbt.ref("area_months").df()
    its = dbt.ref("its_estimates").df()
    parts = [person_level]
    if len(area_months):
        parts.append(staggered_rows(area_months))
    if len(its):
        parts.append(its_estimate_rows(its))
    parts = [p.reindex(columns=ESTIMATE_COLUMNS) for p in parts if len(p)]
    out = pd.concat(parts, ignore_index=True) if parts else person_level
    # the area designs count localities, not people: no count of them is written (their note says they are few)
    area = out["method"].isin(["staggered_cs", "interrupted_time_series"])
    out.loc[area, ["n_treated", "n_comparison"]] = None
    for col in ("n_treated", "n_comparison"):
        out[col] = out[col].astype("Int64")
    out["window_months"] = out["window_months"].astype("Int64")
    out["small_n"] = out["small_n"].astype(bool)
    return out
