"""Outcomes: clinical change by measure; crisis and safety events, with care declined under a crisis plan."""

from __future__ import annotations

import altair as alt

from dashboards import data, filters
from dashboards.components import (
    Col,
    Page,
    count_axis,
    count_span,
    esc,
    labelled,
    line_over_months,
    palette,
    published,
    row_header,
    rows_where,
    suppressed_note,
    with_month,
)

CHANGE = {
    "people_improved": "Reliable improvement",
    "people_no_reliable_change": "No reliable change",
    "people_deteriorated": "Reliable deterioration",
}
CRISIS_PLAN = ("care_not_provided_while_crisis_plan_in_force", "crisis_care_not_provided")

page = Page("Outcomes")
f = filters.current()
page.intro(
    "Whether people's wellbeing and symptoms changed on the questionnaires they completed, and how often crisis "
    "and safety events (detentions, self-harm presentations, care not provided) happened each month.",
    "Questionnaire change is counted only for people with two scores, so people who stopped attending are "
    "missing; 'reliable' change is change larger than the measure's own error. These figures describe people "
    "before and after, not what a programme caused: the Evaluation page compares them with similar people.",
)

# clinical change
page.section(
    "Clinical change by measure",
    "People with a first and a later score on each questionnaire, by whether their change was reliable.",
)
clinical = data.load("dash_clinical_change")
if clinical is not None:
    if f.programme != filters.ALL:
        clinical = clinical[clinical["intervention_code"].astype(str) == f.programme]
    clinical = clinical.sort_values(["intervention_code", "measure_code"])
    long = clinical.melt(
        id_vars=["intervention_code", "measure_code"], value_vars=list(CHANGE), var_name="change", value_name="value"
    )
    long["change_label"] = long["change"].map(CHANGE)
    long["programme"] = long["intervention_code"].map(labelled)
    long = published(long, ["value"])
    shown = clinical.dropna(subset=["people_improved", "people_with_change"])
    if shown.empty:
        alt_html = "No published clinical change for the programme chosen."
    else:
        best = shown.loc[shown["people_improved"].idxmax()]
        alt_html = (
            "Bar chart of people with reliable improvement, no reliable change and reliable deterioration on each "
            f"questionnaire, by programme. The most people improving: {esc(best['measure_code'])} in "
            f"{esc(labelled(best['intervention_code']))}, {count_span(best['people_improved'])} of "
            f"{count_span(best['people_with_change'])} people with a change. "
            + suppressed_note(clinical, list(CHANGE), "cells", "have no bar")
        )
    chart = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("measure_code:N", title="Questionnaire"),
            yOffset=alt.YOffset("change_label:N", sort=list(CHANGE.values())),
            x=alt.X("value:Q", axis=count_axis("People")),
            color=alt.Color(
                "change_label:N", title="Change", sort=list(CHANGE.values()), scale=palette(list(CHANGE.values()))
            ),
            row=alt.Row("programme:N", title=None, header=row_header()),
            tooltip=[
                "programme:N",
                "measure_code:N",
                "change_label:N",
                alt.Tooltip("value:Q", format=",d", title="people"),
            ],
        )
        .properties(height=alt.Step(10), width=520)
    )
    page.chart(
        chart,
        alt_html=alt_html,
        frame=clinical,
        cols=[
            Col("intervention_code", "Programme", pretty=True),
            Col("measure_code", "Questionnaire"),
            Col("people", "People assessed", "count"),
            Col("people_with_change", "People with a change", "count"),
            Col("people_improved", "Reliable improvement", "count"),
            Col("people_no_reliable_change", "No reliable change", "count"),
            Col("people_deteriorated", "Reliable deterioration", "count"),
            Col("people_change_not_classified", "Not classified", "count"),
            Col("people_clinically_significant", "Clinically significant improvement", "count"),
            Col("people_clinically_significant_deterioration", "Clinically significant deterioration", "count"),
            Col("mean_change", "Mean change in score", "statistic", decimals=1),
        ],
        caption="Clinical change by programme and questionnaire",
        file_stem=f"clinical_change_{f.programme}",
    )

# safety events
events = data.load("dash_safety_events")
page.section(
    "Crisis and safety events, month by month",
    "Each small chart is one kind of event: the number of events in each month of the period chosen.",
)
if events is not None:
    events = with_month(events, "event_month")
    events = rows_where(events, "month", f.month_ok).sort_values(["event_type", "month"])
    events["event"] = events["event_type"].map(labelled)
    shown = events.dropna(subset=["events"])
    if shown.empty:
        alt_html = f"No published safety events in {esc(f.period_words())}."
    else:
        top = shown.loc[shown["events"].idxmax()]
        alt_html = (
            "Small line charts of events each month, one for each kind of crisis and "
            f"safety event, {esc(f.period_words())}. The busiest month shown is {esc(top['event'])} in "
            f"{esc(top['month'])} with {count_span(top['events'])} events. "
            + suppressed_note(events, ["events"], "monthly counts", "appear as gaps")
        )
    chart = (
        alt.Chart(published(events, ["events"]))
        .mark_line(point=True, invalid="break-paths-show-domains")
        .encode(
            x=alt.X("month:O", title="Month", axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("events:Q", axis=count_axis("Events")),
            facet=alt.Facet("event:N", columns=3, title=None),
            tooltip=["event:N", "month:N", "events:Q", "people:Q"],
        )
        .properties(width=220, height=120)
        .resolve_scale(y="independent")
    )
    page.chart(
        chart,
        alt_html=alt_html,
        frame=events,
        cols=[
            Col("month", "Month"),
            Col("event_type", "Event", pretty=True),
            Col("events", "Events", "count"),
            Col("people", "People", "count"),
        ],
        caption="Crisis and safety events by month",
        file_stem="safety_events",
    )

    page.section(
        "Care declined while a crisis plan was in force",
        "Times a person in crisis did not get crisis care, and of those, times they had a crisis plan that "
        "should have applied.",
    )
    plan = events[events["event_type"].isin(CRISIS_PLAN)]
    shown = plan.dropna(subset=["events"])
    if shown.empty:
        alt_html = f"No published events of care not provided in {esc(f.period_words())}."
    else:
        alt_html = (
            f"Line chart of crisis care not provided, and of that care not provided while a crisis plan was in "
            f"force, each month, {esc(f.period_words())}: from {count_span(shown['events'].min())} to "
            f"{count_span(shown['events'].max())} events a month. "
            + suppressed_note(plan, ["events"], "monthly counts", "appear as gaps")
        )
    page.chart(
        line_over_months(plan, "events", "Events", "event", "Event", ["event:N", "month:N", "events:Q", "people:Q"]),
        alt_html=alt_html,
        frame=plan,
        cols=[
            Col("month", "Month"),
            Col("event_type", "Event", pretty=True),
            Col("events", "Events", "count"),
            Col("people", "People", "count"),
        ],
        caption="Care not provided, and care not provided while a crisis plan was in force, by month",
        file_stem="care_not_provided",
    )
page.complete()
