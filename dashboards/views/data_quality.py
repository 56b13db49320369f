"""Data quality: load reconciliation, linkage quality by group, drift flags: how far to trust a figure."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import data, filters
from dashboards.components import Col, Page, csv_bytes, esc, labelled, palette, row_header, rows_where
from dashboards.theme import STATUS

page = Page("Data quality")
f = filters.current()
page.intro(
    "Whether every delivery from every agency arrived and loaded in full, how well records are linked to the same "
    "person in each group, and whether a delivery looked unlike the ones before it.",
    "A month whose delivery did not reconcile, a group that links less well, or a drifted feed makes the figures "
    "that depend on them less reliable: check here before relying on a surprising number elsewhere.",
)
YES_NO = {"True": "yes", "False": "no"}
LABELS = {"ok": "No drift", "warn": "Drift: warn", "block": "Drift: block", "not known": "Not known"}
MEASURED_BY = {
    "truth": "Against the synthetic truth (demo)",
    "estimated": "Estimated from the match probabilities",
}

# reconciliation
page.section(
    "Load reconciliation",
    "For each feed and delivery: rows received, loaded, quarantined (failed a check) and excluded (national data "
    "opt-out). A delivery reconciles when every row received is accounted for.",
)
recon = data.load("dash_load_reconciliation")
if recon is not None:
    recon = rows_where(recon, "delivery_period", f.month_ok).sort_values(["feed", "delivery_period"])
    recon["status"] = recon["is_reconciled"].map({True: "Reconciled", False: "Not reconciled"}).fillna("Not known")
    bad = recon[recon["status"] != "Reconciled"]
    listed = ", ".join(f"{a} {b}" for a, b in zip(bad["feed"], bad["delivery_period"], strict=True))
    alt_html = (
        f"Grid of feeds by delivery month, {esc(f.period_words())}, marking each delivery reconciled (circle) or "
        + (
            f"not (cross). These deliveries did not reconcile: {esc(listed[:600])}."
            if not bad.empty
            else "not (cross). Every delivery shown reconciled."
        )
    )
    statuses = ["Reconciled", "Not reconciled", "Not known"]
    chart = (
        alt.Chart(recon)
        .mark_point(filled=True, size=90)
        .encode(
            x=alt.X("delivery_period:O", title="Delivery month", axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("feed:N", title=None),
            color=alt.Color(
                "status:N",
                title=None,
                scale=alt.Scale(domain=statuses, range=[STATUS["ok"], STATUS["block"], "#768692"]),
            ),
            shape=alt.Shape(
                "status:N", title=None, scale=alt.Scale(domain=statuses, range=["circle", "cross", "square"])
            ),
            tooltip=["feed:N", "delivery_period:N", "status:N"],
        )
        .properties(height=alt.Step(26))
    )
    page.chart(
        chart,
        alt_html=alt_html,
        frame=recon,
        cols=[
            Col("feed", "Feed"),
            Col("delivery_period", "Delivery month"),
            Col("rows_received", "Rows received", "count"),
            Col("rows_loaded", "Rows loaded", "count"),
            Col("rows_quarantined", "Rows quarantined", "count"),
            Col("rows_excluded", "Rows excluded (opt-out)", "count"),
            Col("is_reconciled", "Reconciled", labels=YES_NO),
        ],
        caption="Load reconciliation by feed and delivery",
        file_stem="load_reconciliation",
    )

# linkage
page.section(
    "Linkage quality by group",
    "How well records of the same person are linked, measured against a known answer: precision (links that are "
    "right), recall (true links found) and F1 (both together), from 0 to 1, by ethnic group. Lower recall for a "
    "group means its people's contacts are split and undercounted.",
)
linkage = data.load("dash_linkage_quality")
if linkage is not None:
    linkage = linkage.sort_values(["measured_by", "scope", "feed_left", "feed_right", "ethnicity_group"]).copy()
    # the chart shows linkage overall and by ethnic group (every feed with every feed); the table has every row,
    # the pairs of feeds too
    overall = (linkage["feed_left"].astype(str) == "all") & (linkage["feed_right"].astype(str) == "all")
    by_group = linkage.loc[overall] if overall.any() else linkage
    by_group = by_group.assign(comparison=[MEASURED_BY.get(str(m), labelled(m)) for m in by_group["measured_by"]])
    metrics = {"pairwise_precision": "Precision", "pairwise_recall": "Recall", "pairwise_f1": "F1"}
    long = by_group.melt(
        id_vars=["comparison", "ethnicity_group"], value_vars=list(metrics), var_name="metric", value_name="value"
    )
    long["metric_label"] = long["metric"].map(metrics)
    long["value"] = pd.to_numeric(long["value"], errors="coerce").astype("float64")
    shown = long[long["metric"] == "pairwise_recall"].dropna(subset=["value"])
    if shown.empty:
        alt_html = "No published linkage quality figures."
    else:
        low = shown.loc[shown["value"].idxmin()]
        alt_html = (
            "Dot chart of linkage precision, recall and F1 overall and by ethnic group, for each way of measuring "
            "them (the table below also has each pair of feeds). The lowest "
            f"recall is {float(low['value']):.3f}, for {esc(low['ethnicity_group'])} ({esc(low['comparison'])})."
        )
    labels = list(metrics.values())
    chart = (
        alt.Chart(long)
        .mark_point(filled=True, size=70)
        .encode(
            y=alt.Y("ethnicity_group:N", title=None),
            x=alt.X("value:Q", title="0 to 1 (1 is perfect)", scale=alt.Scale(zero=False)),
            color=alt.Color("metric_label:N", title=None, sort=labels, scale=palette(labels)),
            shape=alt.Shape("metric_label:N", title=None, sort=labels),
            row=alt.Row("comparison:N", title=None, header=row_header()),
            tooltip=["comparison:N", "ethnicity_group:N", "metric_label:N", alt.Tooltip("value:Q", format=".3f")],
        )
        .properties(width=420, height=alt.Step(18))
    )
    page.chart(
        chart,
        alt_html=alt_html,
        frame=linkage,
        cols=[
            Col("measured_by", "Measured by", labels=MEASURED_BY),
            Col("scope", "Scope"),
            Col("feed_left", "Feed"),
            Col("feed_right", "Linked with"),
            Col("ethnicity_group", "Ethnic group"),
            Col("records", "Records", "count"),
            Col("pairwise_precision", "Precision", "statistic", decimals=3),
            Col("pairwise_recall", "Recall", "statistic", decimals=3),
            Col("pairwise_f1", "F1", "statistic", decimals=3),
            Col("missed_link_rate", "Missed links", "statistic", decimals=3),
            Col("false_link_rate", "False links", "statistic", decimals=3),
        ],
        caption="Linkage quality by ethnic group",
        file_stem="linkage_quality",
    )

# drift
page.section(
    "Drift flags",
    "Each delivery is compared with the months before it. A flag means a measure moved beyond its threshold: "
    "'warn' asks for a look, 'block' held the delivery back until someone checked it.",
)
drift = data.load("dash_drift_flags")
if drift is not None:
    drift = rows_where(drift, "delivery_period", f.month_ok).sort_values(["feed", "metric", "delivery_period"])
    drift = drift.copy()
    drift["status"] = [
        (str(sev) if bool(flag) else "ok") if not pd.isna(flag) else "not known"
        for flag, sev in zip(drift["is_drifted"], drift["severity"], strict=True)
    ]
    # one point per feed and delivery (the worst status of its measures): a point per measure was 4,500 marks and a
    # 4,500-row table on the demo county, 2 s of the page; every measure is in the download, the flagged ones below
    rank = {"block": 3, "warn": 2, "ok": 1, "not known": 0}
    worst = (
        drift.assign(rank=drift["status"].map(rank))
        .sort_values("rank", ascending=False)
        .drop_duplicates(["feed", "delivery_period"])
        .sort_values(["feed", "delivery_period"])
    )
    worst = worst.assign(status_label=worst["status"].map(LABELS))[["feed", "delivery_period", "status_label"]]
    flagged = drift[drift["status"].isin(["warn", "block"])]
    listed = ", ".join(
        f"{a}: {m} in {b}"
        for a, m, b in zip(flagged["feed"], flagged["metric"], flagged["delivery_period"], strict=True)
    )
    alt_html = (
        f"Grid of feeds by delivery month, {esc(f.period_words())}, marking each delivery as no drift in any measure "
        "(circle), warn (triangle) or block (cross), by its worst measure. "
        + (f"Drifted: {esc(listed[:600])}. " if not flagged.empty else "No measure shown drifted. ")
    )
    statuses = list(LABELS.values())
    chart = (
        alt.Chart(worst)
        .mark_point(filled=True, size=80)
        .encode(
            x=alt.X("delivery_period:O", title="Delivery month", axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("feed:N", title=None),
            color=alt.Color(
                "status_label:N",
                title=None,
                scale=alt.Scale(domain=statuses, range=[STATUS["ok"], STATUS["warn"], STATUS["block"], "#768692"]),
            ),
            shape=alt.Shape(
                "status_label:N",
                title=None,
                scale=alt.Scale(domain=statuses, range=["circle", "triangle-up", "cross", "square"]),
            ),
            tooltip=["feed:N", "delivery_period:N", "status_label:N"],
        )
        .properties(height=alt.Step(20))
    )
    detail = [
        Col("feed", "Feed"),
        Col("delivery_period", "Delivery month"),
        Col("metric", "Measure"),
        Col("metric_description", "What it measures"),
        Col("statistic", "Value", "statistic", decimals=3),
        Col("threshold", "Threshold", "statistic", decimals=3),
        Col("rows_in_delivery", "Rows in the delivery", "count"),
        Col("reference_periods", "Compared with"),
        Col("is_drifted", "Drifted", labels=YES_NO),
        Col("severity", "Severity"),
    ]
    page.chart(
        chart,
        alt_html=alt_html,
        frame=worst,
        cols=[Col("feed", "Feed"), Col("delivery_period", "Delivery month"), Col("status_label", "Worst measure")],
        caption="Drift by feed and delivery (the worst of its measures)",
        file_stem="drift_by_delivery",
    )
    if flagged.empty:
        st.markdown("No measure drifted in the months shown.")
    else:
        page.table(flagged, detail, caption="The measures that drifted", file_stem="drift_flagged")
    st.download_button(
        "Download every measure tested, by feed and delivery (CSV)",
        data=csv_bytes(drift, detail),
        file_name="drift_flags.csv",
        mime="text/csv",
        key="download-drift-all",
        on_click="ignore",
    )
page.complete()
