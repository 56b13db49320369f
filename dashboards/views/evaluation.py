"""Evaluation: adjusted estimates with intervals beside the naive before/after, and what regression to the mean
alone would do (the comparison group's own change), with small-number warnings and caveats (docs/evaluation.md)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import data, filters
from dashboards.components import Col, Page, esc, labelled, palette, row_header

METHODS = {
    "naive_before_after": "Naive before/after",
    "did_matched": "Matched comparison",
    "staggered_cs": "Staggered go-live by area",
    "interrupted_time_series": "Area time series",
}
MEASURES = {
    # the reference values in words: "1 = no change" would read as a count of one in the page's text
    "rate_ratio": ("rate ratio (one = no change; below one = fewer)", 1.0),
    "difference_in_points": ("difference in points (0 = no change)", 0.0),
    "difference_per_locality_month": ("difference per locality and month (0 = no change)", 0.0),
    "mean_difference": ("difference in points (0 = no change)", 0.0),
}
CAVEATS = (
    "People are referred at a peak of their crises, so their contacts fall afterwards whatever is done: "
    "regression to the mean. The naive before/after cannot tell that fall from an effect; the matched comparison "
    "can, if the comparison people were at the same kind of peak.",
    "The comparison group is matched on what is recorded (recent contacts, age group, sex, deprivation, month). If "
    "referrers see something the records do not, the estimate carries that difference.",
    "Comparison people enrolled later stay in the comparison, which moves estimates towards no effect; it never "
    "manufactures one.",
    "Linkage errors (one person split in two, or two merged) blur the counts; estimates repeated with strict and "
    "lenient linkage are in the evaluation tables for evaluators.",
    "With many outcomes, windows and groups, about one 95% interval in twenty misses the truth by chance: read the "
    "pattern, not one striking result. An interval that includes no effect is not evidence of no effect when the "
    "numbers are small.",
)

page = Page("Evaluation")
f = filters.current()
page.intro(
    "What difference the programmes made: each estimate adjusted against a comparison group of similar people, "
    "beside the simple before/after that earlier reports used, with its uncertainty.",
    "The adjusted estimates were checked on synthetic counties where the true effect is known, and their 95% "
    "intervals covered it about nine times in ten. The naive before/after overstates the benefit, because people "
    "are referred at a peak. Small groups give wide intervals, flagged below.",
)

estimates = data.load("dash_evaluation_estimates")
rows = estimates.copy() if estimates is not None else None
if rows is not None and f.programme != filters.ALL:
    rows = rows[rows["intervention_code"].astype(str) == f.programme]
if rows is not None and rows["outcome"].notna().any() and rows["window_months"].notna().any():
    outcomes = sorted(rows["outcome"].dropna().astype(str).unique())
    default_outcome = "crisis_contacts" if "crisis_contacts" in outcomes else (outcomes[0] if outcomes else None)
    left, right = st.columns(2)
    outcome = left.selectbox(
        "Outcome",
        outcomes,
        index=outcomes.index(default_outcome) if default_outcome else None,
        format_func=labelled,
        key="hfc_evaluation_outcome",
    )
    windows = sorted(
        rows.loc[rows["outcome"] == outcome, "window_months"].dropna().astype(str).unique(),
        key=lambda w: (not w.isdigit(), int(w) if w.isdigit() else 0, w),
    )
    window = right.selectbox(
        "Months after the start",
        windows,
        index=0 if windows else None,
        format_func=lambda w: f"{w} months" if str(w).isdigit() else labelled(w),
        key="hfc_evaluation_window",
    )
    rows = rows[(rows["outcome"] == outcome) & (rows["window_months"].astype(str) == str(window))].copy()
    rows["programme"] = rows["intervention_code"].map(labelled)
    rows["method_label"] = rows["method"].map(lambda m: METHODS.get(str(m), labelled(m)))
    rows = rows.sort_values(["intervention_code", "method"])
    for name in ("estimate", "ci_low", "ci_high", "treated_change", "comparison_change"):
        rows[name] = pd.to_numeric(rows[name], errors="coerce").astype("float64")
    measure = str(rows["measure"].dropna().iloc[0]) if rows["measure"].notna().any() else "rate_ratio"
    measure_words, no_effect = MEASURES.get(measure, (labelled(measure), 0.0))

    small = rows[rows["is_small_n"].fillna(False).astype(bool)]
    if not small.empty:
        listed = "; ".join(f"{p}: {m}" for p, m in zip(small["programme"], small["method_label"], strict=True))
        st.warning(
            "Small numbers: these estimates rest on fewer people than the evaluation needs to be confident, so "
            f"their intervals are wide and they may move a lot with more data. {listed}."
        )

    page.section(
        "Adjusted estimates beside the naive before/after",
        f"Each dot is an estimate ({measure_words}); the line through it is its 95% interval. The dashed line is "
        "no change. The naive before/after includes regression to the mean; the matched comparison removes it.",
    )
    shown = rows.dropna(subset=["estimate"])
    parts = []
    for programme, group in shown.groupby("programme", sort=True):
        by_method = dict(zip(group["method"], group.itertuples(), strict=False))
        naive, matched = by_method.get("naive_before_after"), by_method.get("did_matched")
        if naive is not None and matched is not None:
            parts.append(
                f"{esc(programme)}: naive {naive.estimate:.2f}, against the comparison group {matched.estimate:.2f} "
                f"(95% interval {matched.ci_low:.2f} to {matched.ci_high:.2f})"
            )
    alt_html = (
        f"Dot and interval chart of estimates for {esc(labelled(outcome))} over {esc(window)} months, "
        f"{esc(measure_words)}. " + ("; ".join(parts) + "." if parts else "")
    )
    rows["no_effect"] = no_effect
    base = alt.Chart(rows)
    intervals = base.mark_rule(strokeWidth=2).encode(
        y=alt.Y("method_label:N", title=None),
        x=alt.X("ci_low:Q", title=labelled(measure_words)),
        x2="ci_high:Q",
        color=alt.Color("method_label:N", legend=None, scale=palette(sorted(rows["method_label"].unique()))),
    )
    dots = base.mark_point(filled=True, size=80).encode(
        y="method_label:N",
        x="estimate:Q",
        color=alt.Color("method_label:N", legend=None),
        shape=alt.Shape("method_label:N", legend=None),
        tooltip=[
            "programme:N",
            "method_label:N",
            alt.Tooltip("estimate:Q", format=".2f"),
            alt.Tooltip("ci_low:Q", format=".2f"),
            alt.Tooltip("ci_high:Q", format=".2f"),
        ],
    )
    reference = alt.Chart(pd.DataFrame({"no_effect": [no_effect]})).mark_rule(strokeDash=[4, 4], color="#425563")
    no_change = base.mark_rule(strokeDash=[4, 4], color="#425563").encode(x="no_effect:Q")
    chart = (
        alt.layer(intervals, dots, no_change, data=rows)
        .properties(width=480, height=alt.Step(26))
        .facet(row=alt.Row("programme:N", title=None, header=row_header()))
    )
    page.chart(
        chart,
        alt_html=alt_html,
        frame=rows,
        cols=[
            Col("intervention_code", "Programme", pretty=True),
            Col("method", "Method", labels=METHODS),
            Col("measure", "Measure"),
            Col("estimate", "Estimate", "statistic"),
            Col("ci_low", "95% interval, low", "statistic"),
            Col("ci_high", "95% interval, high", "statistic"),
            Col("p_value", "p value", "statistic", decimals=3),
            Col("n_treated", "People in the programme", "count"),
            Col("n_comparison", "Comparison people", "count"),
            Col("is_small_n", "Small numbers", labels={"True": "yes", "False": "no"}),
            # each row's caveat (`note`) is listed once under Caveats below: as a column its paragraphs squeezed
            # the table to one readable row
        ],
        caption=f"Estimates for {labelled(outcome)}, {window} months",
        file_stem=f"evaluation_{outcome}_{window}_{f.programme}",
    )

    page.section(
        "What regression to the mean alone would do",
        "The change among people in the programme beside the change among similar people who were not: the "
        "comparison group's change is what would have happened anyway (regression to the mean and the general "
        "trend). Only the difference between the two can be credited to the programme.",
    )
    change = rows[rows["method"] == "did_matched"].copy()
    change_long = change.melt(
        id_vars=["programme"], value_vars=["treated_change", "comparison_change"], var_name="group", value_name="change"
    )
    change_long["group_label"] = change_long["group"].map(
        {"treated_change": "People in the programme", "comparison_change": "Comparison group (no programme)"}
    )
    parts = [
        f"{esc(r.programme)}: programme {r.treated_change:.2f}, comparison group {r.comparison_change:.2f}"
        for r in change.itertuples()
        if pd.notna(r.treated_change) and pd.notna(r.comparison_change)
    ]
    alt_html = (
        f"Dot chart of the change in {esc(labelled(outcome))} over {esc(window)} months ({esc(measure_words)}) "
        "among people in each programme and in their comparison group. " + ("; ".join(parts) + "." if parts else "")
    )
    groups = ["People in the programme", "Comparison group (no programme)"]
    dots = (
        alt.Chart(change_long)
        .mark_point(filled=True, size=90)
        .encode(
            y=alt.Y("programme:N", title=None),
            x=alt.X("change:Q", title=labelled(measure_words)),
            color=alt.Color("group_label:N", title=None, sort=groups, scale=palette(groups)),
            shape=alt.Shape("group_label:N", title=None, sort=groups),
            tooltip=["programme:N", "group_label:N", alt.Tooltip("change:Q", format=".2f")],
        )
    )
    chart = alt.layer(dots, reference.encode(x="no_effect:Q")).properties(width=480, height=alt.Step(30))
    page.chart(
        chart,
        alt_html=alt_html,
        frame=change,
        cols=[
            Col("intervention_code", "Programme", pretty=True),
            Col("treated_change", "Change in the programme", "statistic"),
            Col("comparison_change", "Change in the comparison group", "statistic"),
            Col("estimate", "Difference credited to the programme", "statistic"),
            Col("n_treated", "People in the programme", "count"),
            Col("n_comparison", "Comparison people", "count"),
        ],
        caption=f"Change with and without the programme, {labelled(outcome)}, {window} months",
        file_stem=f"regression_to_the_mean_{outcome}_{window}_{f.programme}",
    )

    notes = sorted({str(n) for n in rows["note"].dropna() if str(n).strip()})
    page.section("Caveats")
    items = "".join(f"<li>{esc(c)}</li>" for c in (*CAVEATS, *notes))
    st.html(f'<ul class="hfc-intro">{items}</ul>')
else:
    if rows is not None:  # a programme with no estimates (usual care is the comparison, never evaluated itself)
        chosen = "the programmes" if f.programme == filters.ALL else labelled(f.programme)
        st.info(
            f"No published estimates for {chosen}. Choose another programme, or all programmes, to see the evaluation."
        )
    page.section("Caveats")
    st.html('<ul class="hfc-intro">' + "".join(f"<li>{esc(c)}</li>" for c in CAVEATS) + "</ul>")

page.complete()
