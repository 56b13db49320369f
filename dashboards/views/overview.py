"""Overview: contacts by agency over time, the high-frequency cohort under a chosen definition, concentration."""

from __future__ import annotations

import altair as alt
import pandas as pd

from dashboards import data, filters
from dashboards.components import (
    Col,
    Page,
    count_span,
    esc,
    labelled,
    line_over_months,
    palette,
    percent_axis,
    rows_where,
    suppressed_note,
    with_month,
)

AGENCIES = {
    "police": "Police",
    "ambulance": "Ambulance service",
    "emergency_department": "Emergency department",
    "mental_health_trust": "Mental health trust",
    "council": "Council",
    "all": "All agencies",
}

page = Page("Overview")
f = filters.current()
page.intro(
    "How many contacts people make with crisis services each month, how many people meet a high-frequency "
    "definition, and how much of all demand comes from the few people with the most contacts.",
    "These are counts of recorded contacts, rounded to the nearest 5, with small counts withheld. A person's "
    "records are linked across agencies by a matching process that makes a few errors (see Data quality); "
    "an agency that changes how it records can move its line without any change in demand.",
)

# contacts by agency
page.section("Contacts by agency, month by month")
if f.area == filters.ALL:
    frame = data.load("dash_contacts_by_month_agency")
    where = "the whole county"
else:
    frame = data.load("dash_contacts_by_locality")
    if frame is not None:
        frame = frame[frame["locality_code"].astype(str) == f.area]
    where = f"area {f.area}"
if frame is not None:
    frame = with_month(frame, "contact_month")
    frame = rows_where(frame, "month", f.month_ok).sort_values(["month", "agency"])
    frame["agency_name"] = frame["agency"].map(lambda a: AGENCIES.get(str(a), labelled(a)))
    shown = frame.dropna(subset=["contacts"])
    if shown.empty:
        alt_html = f"No published monthly contact counts for {esc(where)} in {esc(f.period_words())}."
    else:
        top = shown.loc[shown["contacts"].idxmax()]
        low = shown.loc[shown["contacts"].idxmin()]
        alt_html = (
            f"Line chart of contacts each month with each agency in {esc(where)}, {esc(f.period_words())}. "
            f"The highest month shown is {esc(top['agency_name'])} in {esc(top['month'])} with "
            f"{count_span(top['contacts'])} contacts; the lowest is {esc(low['agency_name'])} in {esc(low['month'])} "
            f"with {count_span(low['contacts'])}. "
            + suppressed_note(frame, ["contacts"], "monthly counts", "appear as gaps")
        )
    chart = line_over_months(
        frame,
        "contacts",
        "Contacts in the month",
        "agency_name",
        "Agency",
        ["month:N", "agency_name:N", "contacts:Q", "people:Q"],
    ).properties(height=320)
    page.chart(
        chart,
        alt_html=alt_html,
        frame=frame,
        cols=[
            Col("month", "Month"),
            Col("agency", "Agency", labels=AGENCIES),
            Col("contacts", "Contacts", "count"),
            Col("people", "People in contact", "count"),
            Col("crisis_contacts", "Crisis contacts", "count"),
            Col("mental_health_contacts", "Mental-health-related contacts", "count"),
        ],
        caption=f"Contacts by agency and month, {where}",
        file_stem=f"contacts_by_month_agency_{f.area}",
    )

# cohort
page.section(
    "People in the high-frequency cohort",
    "People who met the chosen definition of high-frequency use in each month. Definitions differ in what they "
    "count and over how long, so they give different numbers of people; choose one in the sidebar.",
)
cohorts = data.load("dash_cohort_sizes")
if cohorts is not None:
    cohort = with_month(cohorts[cohorts["definition_id"].astype(str) == f.cohort], "month_start")
    cohort = rows_where(cohort, "month", f.month_ok).sort_values("month")
    version = str(cohort["definition_version"].iloc[0]) if not cohort.empty else ""
    shown = cohort.dropna(subset=["members"])
    if shown.empty:
        alt_html = f"No published cohort sizes for {esc(f.cohort)} in {esc(f.period_words())}."
    else:
        alt_html = (
            f"Line chart of people in the {esc(f.cohort)} cohort ({esc(version)}) each month, "
            f"{esc(f.period_words())}: from {count_span(shown['members'].min())} to "
            f"{count_span(shown['members'].max())} people a month. "
            + suppressed_note(cohort, ["members"], "months", "appear as gaps")
        )
    chart = line_over_months(cohort, "members", "People in the cohort", None, "", ["month:N", "members:Q"])
    page.chart(
        chart.properties(height=260),
        alt_html=alt_html,
        frame=cohort,
        cols=[
            Col("month", "Month"),
            Col("definition_id", "Definition"),
            Col("definition_version", "Source and version"),
            Col("members", "People in the cohort", "count"),
            Col("members_in_incomplete_window", "Of whom, with an incomplete look-back window", "count"),
        ],
        caption=f"People in the {f.cohort} cohort by month",
        file_stem=f"cohort_sizes_{f.cohort}",
    )

# concentration
page.section(
    "How concentrated demand is",
    "Each line shows what share of all contacts came from the people with the most contacts: the top 1%, 5%, "
    "10% and 20% of people. The straighter and lower the line, the more evenly demand is spread.",
)
concentration = data.load("dash_demand_concentration")
if concentration is not None:
    rows = concentration[concentration["agency_scope"].astype(str) == "all"]
    keep = [
        (kind == "whole_period") or (kind == "year" and f.year_ok(str(period)))
        for kind, period in zip(rows["period_kind"], rows["period"], strict=True)
    ]
    rows = rows.loc[pd.Series(keep, index=rows.index, dtype=bool)]
    long_rows: list[dict[str, object]] = []
    for _, row in rows.iterrows():
        label = "Whole period" if row["period_kind"] == "whole_period" else f"Year {row['period']}"
        for k in (1, 5, 10, 20):
            long_rows.append(
                {
                    "period_label": label,
                    "top_percent": k,
                    "top_label": f"Top {k}%",
                    "people_in_top": row[f"people_top_{k}_percent"],
                    "people_in_top_suppression": row[f"people_top_{k}_percent_suppression"],
                    "share_of_contacts": row[f"share_of_contacts_top_{k}_percent"],
                    "share_of_contacts_suppression": row[f"share_of_contacts_top_{k}_percent_suppression"],
                    "gini_coefficient": row["gini_coefficient"],
                    "gini_coefficient_suppression": row["gini_coefficient_suppression"],
                }
            )
    long = pd.DataFrame(long_rows)
    if long.empty:
        alt_html = "No published concentration figures for the period chosen."
        long = pd.DataFrame(
            columns=[
                "period_label",
                "top_percent",
                "top_label",
                "people_in_top",
                "people_in_top_suppression",
                "share_of_contacts",
                "share_of_contacts_suppression",
                "gini_coefficient",
                "gini_coefficient_suppression",
            ]
        )
    else:
        whole = long[(long["period_label"] == "Whole period") & (long["top_percent"] == 10)]
        pick = whole if not whole.empty else long[long["top_percent"] == 10]
        share = pick["share_of_contacts"].dropna()
        headline = (
            f"In {esc(pick['period_label'].iloc[0].lower())}, the 10% of people with the most contacts were behind "
            f"{float(share.iloc[0]) * 100:.0f}% of all contacts. "
            if not share.empty
            else ""
        )
        alt_html = (
            "Line chart of the share of all contacts (every agency) made by the top 1%, 5%, 10% and 20% of people. "
            + headline
        )
    long["share_percent"] = pd.to_numeric(long["share_of_contacts"], errors="coerce").astype("float64") * 100
    periods = sorted(long["period_label"].unique())
    chart = (
        alt.Chart(long)
        .mark_line(point=True, invalid="break-paths-show-domains")
        .encode(
            x=alt.X(
                "top_percent:Q",
                scale=alt.Scale(domain=[0, 20]),
                # ticks at 0, 10 and 20 only: a tick of 2 or 4 would read like a small count (the points are at the
                # top 1, 5, 10 and 20%, named in the tooltips and the table)
                axis=alt.Axis(title="Top % of people (by their number of contacts)", values=[0, 10, 20]),
            ),
            y=alt.Y(
                "share_percent:Q", axis=percent_axis("Share of all contacts (%)"), scale=alt.Scale(domain=[0, 100])
            ),
            color=alt.Color("period_label:N", title="Period", scale=palette(periods)),
            shape=alt.Shape("period_label:N", title="Period"),
            tooltip=["period_label:N", "top_label:N", alt.Tooltip("share_percent:Q", format=".1f", title="share %")],
        )
        .properties(height=280)
    )
    page.chart(
        chart,
        alt_html=alt_html,
        frame=long,
        cols=[
            Col("period_label", "Period"),
            Col("top_label", "People with the most contacts"),
            Col("people_in_top", "Number of those people", "count"),
            Col("share_of_contacts", "Share of all contacts", "statistic", decimals=1, percent=True),
            Col("gini_coefficient", "Gini coefficient (0 even, 1 all from one person)", "statistic", decimals=3),
        ],
        caption="Share of contacts made by the people with the most contacts, all agencies",
        file_stem="demand_concentration",
    )

page.complete()
