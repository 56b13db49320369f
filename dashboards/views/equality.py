"""People and equality: contact, crisis, safety, clinical change and programme reach by each equality dimension."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import data, filters
from dashboards.components import (
    Col,
    Page,
    count_axis,
    count_span,
    esc,
    labelled,
    palette,
    percent_axis,
    published,
    row_header,
    suppressed_note,
)

DIMENSIONS = {
    "ethnicity_group": "Ethnic group",
    "imd_quintile": "Deprivation (IMD quintile)",
    "age_band": "Age band",
    "sex": "Sex",
    "has_disability": "Disability",
}
VALUE_LABELS = {
    "imd_quintile": {
        "1": "Quintile 1 (most deprived)",
        "2": "Quintile 2",
        "3": "Quintile 3",
        "4": "Quintile 4",
        "5": "Quintile 5 (least deprived)",
        "unknown": "Not known",
    },
    "sex": {"F": "Female", "M": "Male", "unknown": "Not known"},
    "has_disability": {"true": "Disability recorded", "false": "No disability recorded", "unknown": "Not known"},
    "age_band": {"unknown": "Not known"},
}


def group_label(dimension: str, value: object) -> str:
    return VALUE_LABELS.get(dimension, {}).get(str(value), str(value))


def for_dimension(frame: pd.DataFrame, dimension: str) -> pd.DataFrame:
    out = frame[frame["dimension"].astype(str) == dimension].copy()
    out["group"] = [group_label(dimension, v) for v in out["dimension_value"]]
    return out.sort_values("dimension_value")


def grouped_bars(frame: pd.DataFrame, measures: dict[str, str], x_title: str, facet: str | None = None) -> alt.Chart:
    """One bar per group and measure, side by side (a withheld cell has no bar; nothing is stacked or summed)."""
    id_vars = ["group", *([facet] if facet else [])]
    long = frame.melt(id_vars=id_vars, value_vars=list(measures), var_name="measure", value_name="value")
    long["measure_label"] = long["measure"].map(measures)
    long = published(long, ["value"])
    labels = list(measures.values())
    encoding: dict[str, object] = {
        "y": alt.Y("group:N", title=None, sort=list(dict.fromkeys(frame["group"]))),
        "x": alt.X("value:Q", axis=count_axis(x_title)),
        "tooltip": ["group:N", "measure_label:N", alt.Tooltip("value:Q", format=",d", title="published")],
    }
    if len(labels) > 1:
        encoding["yOffset"] = alt.YOffset("measure_label:N", sort=labels)
        encoding["color"] = alt.Color("measure_label:N", title=None, sort=labels, scale=palette(labels))
    else:
        encoding["color"] = alt.value("#005EB8")
    step = 12 if len(labels) > 1 else 22  # with several measures the step is per bar, so a group gets several
    chart = alt.Chart(long).mark_bar().encode(**encoding).properties(height=alt.Step(step), width=480)
    if facet:
        chart = chart.encode(row=alt.Row(f"{facet}:N", title=None, header=row_header()))
    return chart


page = Page("People and equality")
f = filters.current()
page.intro(
    "The same outcomes for each group of people: by ethnic group, deprivation of the area they live in, age band, "
    "sex and disability, one at a time.",
    "Groups come from what agencies recorded, and 'not known' can be large; a difference between groups is a "
    "prompt to ask why, not proof of unequal treatment. Groups are shown one dimension at a time (and crossed only "
    "with sex) because finer cuts would be too small to publish.",
)
dimension = st.selectbox(
    "Equality dimension", list(DIMENSIONS), format_func=DIMENSIONS.get, key="hfc_equality_dimension"
)
dim_words = DIMENSIONS[dimension].lower()

# contact and crisis
page.section("People in contact and with crisis contacts")
equality = data.load("dash_equality")
if equality is not None:
    rows = for_dimension(equality, dimension)
    shown = rows.dropna(subset=["people_in_contact"])
    if shown.empty:
        alt_html = f"No published counts by {esc(dim_words)}."
    else:
        top = shown.loc[shown["people_in_contact"].idxmax()]
        alt_html = (
            f"Bar chart of people in contact with any agency, and people with crisis contacts, by {esc(dim_words)}. "
            f"The largest group is {esc(top['group'])} with {count_span(top['people_in_contact'])} people in contact. "
            + suppressed_note(rows, ["people_in_contact", "people_with_crisis_contacts"], "cells", "not shown")
        )
    page.chart(
        grouped_bars(
            rows,
            {"people_in_contact": "People in contact", "people_with_crisis_contacts": "People with crisis contacts"},
            "People",
        ),
        alt_html=alt_html,
        frame=rows,
        cols=[
            Col("group", "Group"),
            Col("people_in_contact", "People in contact", "count"),
            Col("people_with_crisis_contacts", "People with crisis contacts", "count"),
            Col("crisis_contacts", "Crisis contacts", "count"),
        ],
        caption=f"People in contact and with crisis contacts by {dim_words}",
        file_stem=f"equality_{dimension}",
    )

# crossed with sex
if dimension != "sex":
    page.section(f"{DIMENSIONS[dimension]} by sex")
    crossed = data.load("dash_equality_crossed")
    if crossed is not None:
        rows = for_dimension(crossed, dimension)
        rows["sex_label"] = [group_label("sex", v) for v in rows["sex"]]
        rows = rows.sort_values(["dimension_value", "sex"])
        shown = rows.dropna(subset=["people_in_contact"])
        alt_html = f"Bar chart of people in contact by {esc(dim_words)} and sex. " + suppressed_note(
            rows, ["people_in_contact"], "group and sex cells", "have no bar"
        )
        page.chart(
            grouped_bars(
                rows,
                {"people_in_contact": "People in contact"},
                "People in contact",
                facet="sex_label",
            ),
            alt_html=alt_html,
            frame=rows,
            cols=[
                Col("group", "Group"),
                Col("sex_label", "Sex"),
                Col("people_in_contact", "People in contact", "count"),
                Col("people_with_crisis_contacts", "People with crisis contacts", "count"),
                Col("crisis_contacts", "Crisis contacts", "count"),
            ],
            caption=f"People in contact by {dim_words} and sex",
            file_stem=f"equality_{dimension}_by_sex",
        )

# safety by equality
page.section(
    "Crisis and safety events by group",
    "The percentage of each group's people in contact who had each kind of event, shown only where both counts "
    "are published.",
)
safety = data.load("dash_safety_by_equality")
if safety is not None:
    rows = for_dimension(safety, dimension)
    rows["event"] = rows["event_type"].map(labelled)
    rows = rows.sort_values(["event_type", "dimension_value"])
    rows["percent"] = pd.to_numeric(rows["percent_of_people"], errors="coerce").astype("float64")
    shown = rows.dropna(subset=["percent"])
    if shown.empty:
        alt_html = f"No published percentages of people with each event by {esc(dim_words)}."
    else:
        top = shown.loc[shown["percent"].idxmax()]
        alt_html = (
            f"Small bar charts, one per kind of event, of the percentage of each {esc(dim_words)} group's people who "
            f"had that event. The highest is {esc(top['event'])} among {esc(top['group'])}: "
            f"{float(top['percent']):.1f}%. "
            + (
                "Some percentages are not shown because a count behind them is suppressed."
                if rows["percent"].isna().any()
                else ""
            )
        )
    axis_max = max(10.0, float(rows["percent"].max())) if rows["percent"].notna().any() else 10.0
    chart = (
        alt.Chart(rows)
        .mark_bar(color="#005EB8")
        .encode(
            y=alt.Y("group:N", title=None),
            x=alt.X(
                "percent:Q",
                axis=percent_axis("% of the group's people in contact"),
                scale=alt.Scale(domain=[0, axis_max]),
            ),
            facet=alt.Facet("event:N", columns=3, title=None),
            tooltip=["event:N", "group:N", alt.Tooltip("percent:Q", format=".1f", title="%")],
        )
        .properties(width=200, height=alt.Step(14))
    )
    page.chart(
        chart,
        alt_html=alt_html,
        frame=rows,
        cols=[
            Col("event_type", "Event", pretty=True),
            Col("group", "Group"),
            Col("people", "People with the event", "count"),
            Col("people_in_contact", "People in contact", "count"),
            Col("percent_of_people", "% of people in contact", "statistic", decimals=1),
        ],
        caption=f"Crisis and safety events by {dim_words}",
        file_stem=f"safety_by_{dimension}",
    )

# clinical change by equality
page.section("Clinical change by group")
clinical = data.load("dash_clinical_change_by_equality")
if clinical is not None:
    rows = for_dimension(clinical, dimension).sort_values(["measure_code", "dimension_value"])
    measures = {
        "people_improved": "Reliable improvement",
        "people_no_reliable_change": "No reliable change",
        "people_deteriorated": "Reliable deterioration",
    }
    alt_html = (
        f"Bar chart, one panel per questionnaire, of people with reliable improvement, no reliable change and "
        f"reliable deterioration by {esc(dim_words)}. " + suppressed_note(rows, list(measures), "cells", "have no bar")
    )
    page.chart(
        grouped_bars(rows, measures, "People", facet="measure_code"),
        alt_html=alt_html,
        frame=rows,
        cols=[
            Col("measure_code", "Questionnaire"),
            Col("group", "Group"),
            Col("people_with_change", "People with a change", "count"),
            Col("people_improved", "Reliable improvement", "count"),
            Col("people_no_reliable_change", "No reliable change", "count"),
            Col("people_deteriorated", "Reliable deterioration", "count"),
            Col("people_clinically_significant", "Clinically significant improvement", "count"),
        ],
        caption=f"Clinical change by {dim_words}",
        file_stem=f"clinical_change_by_{dimension}",
    )

# programme reach
page.section("Who the programmes reach", "People in each programme, by group.")
access = data.load("dash_intervention_access")
if access is not None:
    rows = for_dimension(access, dimension)
    if f.programme != filters.ALL:
        rows = rows[rows["intervention_code"].astype(str) == f.programme]
    rows["programme"] = rows["intervention_code"].map(labelled)
    rows = rows.sort_values(["intervention_code", "dimension_value"])
    shown = rows.dropna(subset=["people"])
    alt_html = (
        f"Bar chart, one panel per programme, of people in the programme by {esc(dim_words)}. "
        + suppressed_note(rows, ["people"], "cells", "have no bar")
    )
    page.chart(
        grouped_bars(rows, {"people": "People in the programme"}, "People", facet="programme"),
        alt_html=alt_html,
        frame=rows,
        cols=[
            Col("intervention_code", "Programme", pretty=True),
            Col("group", "Group"),
            Col("people", "People in the programme", "count"),
        ],
        caption=f"People in each programme by {dim_words}",
        file_stem=f"programme_reach_{f.programme}_{dimension}",
    )

page.complete()
