"""Voices: feedback themes over time, ratings, and quotes chosen by a documented rule (dashboards/quotes.py)."""

from __future__ import annotations

import altair as alt
import streamlit as st

from dashboards import data, filters, quotes
from dashboards.components import (
    Col,
    Page,
    count_axis,
    count_span,
    esc,
    labelled,
    published,
    rows_where,
    suppressed_note,
)
from pipelines import settings

page = Page("Voices")
f = filters.current()
page.intro(
    "What people said about the services in their own feedback: the themes they raised each quarter, the "
    "ratings they gave, and a few of their words.",
    "Themes are coded from free text by a tested codebook that misses some and mislabels a few; people who "
    "give feedback are not a random sample of everyone in contact. Quotes are chosen by a rule that keeps "
    "anything that could point at a person out (below).",
)

themes = data.load("dash_feedback_themes")
if themes is not None:
    themes = rows_where(themes, "submitted_quarter", f.quarter_ok).copy()
    themes["theme_label"] = themes["theme"].map(labelled)
    themes = themes.sort_values(["theme", "submitted_quarter"])

    page.section("Feedback themes over time", "Responses that raised each theme, quarter by quarter.")
    shown = themes.dropna(subset=["responses"])
    if shown.empty:
        alt_html = f"No published feedback themes in {esc(f.period_words())}."
    else:
        top = shown.loc[shown["responses"].idxmax()]
        alt_html = (
            f"Small line charts, one per theme, of responses each quarter, {esc(f.period_words())}. The most in a "
            f"quarter: {esc(top['theme_label'])} in {esc(top['submitted_quarter'])}, with "
            f"{count_span(top['responses'])} responses. "
            + suppressed_note(themes, ["responses"], "quarters", "appear as gaps")
        )
    chart = (
        alt.Chart(published(themes, ["responses"]))
        .mark_line(point=True, invalid="break-paths-show-domains", color="#005EB8")
        .encode(
            x=alt.X("submitted_quarter:O", title="Quarter", axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("responses:Q", axis=count_axis("Responses")),
            facet=alt.Facet("theme_label:N", columns=4, title=None),
            tooltip=["theme_label:N", "submitted_quarter:N", "responses:Q"],
        )
        .properties(width=170, height=110)
    )
    page.chart(
        chart,
        alt_html=alt_html,
        frame=themes,
        cols=[
            Col("theme", "Theme", pretty=True),
            Col("submitted_quarter", "Quarter"),
            Col("responses", "Responses", "count"),
        ],
        caption="Feedback responses by theme and quarter",
        file_stem="feedback_themes",
    )

    page.section("Ratings", "The mean rating (1 poor to 5 excellent) of the responses in each theme and quarter.")
    rated = themes.copy()
    rated["rating"] = rated["mean_rating"].astype("float64")
    shown = rated.dropna(subset=["rating"])
    if shown.empty:
        alt_html = "No published mean ratings for the period chosen."
    else:
        low = shown.loc[shown["rating"].idxmin()]
        high = shown.loc[shown["rating"].idxmax()]
        alt_html = (
            f"Small line charts, one per theme, of the mean rating each quarter. The lowest is "
            f"{esc(low['theme_label'])} in {esc(low['submitted_quarter'])} at {float(low['rating']):.2f}, the "
            f"highest {esc(high['theme_label'])} in {esc(high['submitted_quarter'])} at {float(high['rating']):.2f}."
        )
    chart = (
        alt.Chart(rated)
        .mark_line(point=True, invalid="break-paths-show-domains", color="#003087")
        .encode(
            x=alt.X("submitted_quarter:O", title="Quarter", axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("rating:Q", axis=alt.Axis(title="Mean rating", format=".1f"), scale=alt.Scale(domain=[1, 5])),
            facet=alt.Facet("theme_label:N", columns=4, title=None),
            tooltip=["theme_label:N", "submitted_quarter:N", alt.Tooltip("rating:Q", format=".2f")],
        )
        .properties(width=170, height=110)
    )
    page.chart(
        chart,
        alt_html=alt_html,
        frame=rated,
        cols=[
            Col("theme", "Theme", pretty=True),
            Col("submitted_quarter", "Quarter"),
            Col("rated_responses", "Rated responses", "count"),
            Col("mean_rating", "Mean rating", "statistic", decimals=2),
        ],
        caption="Mean rating by theme and quarter",
        file_stem="feedback_ratings",
    )

page.section(
    "In people's own words",
    "A few sentences from people's feedback, chosen by a fixed rule, never by hand: a quote comes from a theme "
    "with enough responses to publish, is one short sentence with no placeholder for removed details, no digits, "
    "no capital letter inside it (usually a name or a place) and none of a list of words that could point at "
    "someone (family, life events, places).",
)
quote_rows = data.load("dash_feedback_quotes")
if quote_rows is not None:
    chosen = quotes.select(quote_rows, settings.disclosure_threshold()).sort_values(["theme", "quote_id"])
    if chosen.empty:
        page_html = '<p class="hfc-intro">No quotes pass the rule.</p>'
    else:
        parts: list[str] = []
        for theme, group in chosen.groupby("theme", sort=True):
            description = group["theme_description"].iloc[0]
            parts.append(
                f'<h3>{esc(labelled(theme))}</h3><p class="hfc-note">{esc(description)} '
                f"({count_span(group['responses'].iloc[0])} responses in the whole period)</p>"
            )
            parts.extend(f'<blockquote class="hfc-quote">{esc(q)}</blockquote>' for q in group["quote"])
        page_html = "".join(parts)
    st.html(page_html)
    page.table(
        chosen,
        [
            Col("theme", "Theme", pretty=True),
            Col("quote_id", "Quote"),
            Col("quote", "Words"),
            Col("responses", "Responses with the theme", "count"),
        ],
        caption="Quotes shown, by theme",
        file_stem="feedback_quotes",
    )

page.complete()
