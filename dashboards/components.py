"""One call per chart: a text alternative, the chart (Vega-Lite as SVG), its data table and a CSV download.

What a reader sees is only published cells. A count is shown as published (already rounded, 0 or above the
threshold) or, when withheld, as the word ``suppressed`` with its reason in ``data-reason`` and a note below the
table saying why. Charts get the same rows with withheld cells left null, so they are gaps, never zeros, and
tooltips carry the published columns only. Nothing here adds published cells together.

DOM contract (docs: /work/briefs/dash_contract.md, used by the browser test): ``<p class="hfc-alt">`` then the
chart, then ``<table class="hfc-table">`` with ``<caption>``, ``<th scope="col">``, ``<td data-kind="count">``;
each page ends with ``<div id="hfc-page-complete" data-charts="N">``.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import theme
from pipelines import settings

Kind = Literal["dimension", "count", "statistic"]

REASONS: tuple[str, ...] = (
    "suppressed_1_to_threshold",
    "suppressed_complementary",
    "suppressed_small_group",
    "count_suppressed",
)


def reason_text(reason: str) -> str:
    """Why a cell is withheld, in plain words, with this installation's threshold and rounding base."""
    threshold = settings.disclosure_threshold()
    texts = {
        "suppressed_1_to_threshold": f"the count is between 1 and {threshold}, too small to publish",
        "suppressed_complementary": (
            f"withheld (it is above {threshold}) so that a suppressed count cannot be worked out from the others"
        ),
        "suppressed_small_group": (
            f"withheld with its small group (each is 0 to {threshold}) so that nobody can tell which are 0"
        ),
        "count_suppressed": "the number of people behind it is suppressed, so it is not shown",
    }
    return texts.get(reason, "withheld by disclosure control")


def rule_text() -> str:
    threshold = settings.disclosure_threshold()
    base = settings.disclosure_rounding_base()
    return (
        f"Counts are rounded to the nearest {base}; counts from 1 to {threshold} are not published "
        "(shown as suppressed). Figures are as published and are not added up by this page."
    )


def fmt_count(value: Any) -> str:
    return f"{int(value):,}"


def count_span(value: Any) -> str:
    """A published count inside text (a text alternative), marked like a table cell so a scan finds it."""
    return f'<span data-kind="count">{fmt_count(value)}</span>'


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def is_missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


@dataclass(frozen=True)
class Col:
    """A column of a data table: a dimension (text), a count or a statistic, with its heading."""

    name: str
    label: str
    kind: Kind = "dimension"
    decimals: int = 2
    percent: bool = False
    labels: dict[str, str] | None = None  # for dimensions: code -> words
    pretty: bool = False  # for dimensions without labels: high_intensity_team -> High intensity team

    def cell(self, row: pd.Series, notes: set[str]) -> str:
        value = row.get(self.name)
        if self.kind == "dimension":
            shown = value if is_missing(value) else (self.labels or {}).get(str(value), value)
            if self.pretty and not is_missing(shown) and not self.labels:
                shown = labelled(shown)
            return f"<td>{esc('' if is_missing(shown) else shown)}</td>"
        reason = row.get(f"{self.name}_suppression")
        if is_missing(value):
            if not is_missing(reason):
                notes.add(str(reason))
                return f'<td data-kind="{self.kind}" data-reason="{esc(reason)}">suppressed</td>'
            return f'<td data-kind="{self.kind}">not available</td>'
        if self.kind == "count":
            return f'<td data-kind="count">{fmt_count(value)}</td>'
        if isinstance(value, bool):
            return f'<td data-kind="statistic">{"yes" if value else "no"}</td>'
        number = float(value) * (100 if self.percent else 1)
        text = f"{number:,.{self.decimals}f}" + ("%" if self.percent else "")
        return f'<td data-kind="statistic">{esc(text)}</td>'


def table_html(frame: pd.DataFrame, cols: Sequence[Col], caption: str, table_id: str) -> str:
    """The accessible HTML table of ``frame`` (escaped), with a note for each kind of withheld cell in it."""
    notes: set[str] = set()
    head = "".join(f'<th scope="col">{esc(col.label)}</th>' for col in cols)
    body = "".join("<tr>" + "".join(col.cell(row, notes) for col in cols) + "</tr>" for _, row in frame.iterrows())
    if frame.empty:
        body = f'<tr><td colspan="{len(cols)}">No published rows for the filters chosen.</td></tr>'
    items = "".join(f'<li><span class="hfc-reason">{esc(r)}</span>: {esc(reason_text(r))}</li>' for r in sorted(notes))
    # the rule's own statement (its threshold and base are not counts): marked so the browser scan knows it
    note = f'<p class="hfc-note" data-hfc-rule>{esc(rule_text())}</p>'
    if items:
        note += f'<p class="hfc-note">Why cells read "suppressed":</p><ul class="hfc-note" data-hfc-rule>{items}</ul>'
    return (
        f'<div class="hfc-table-wrap" role="region" tabindex="0" aria-labelledby="{table_id}-caption">'
        f'<table class="hfc-table" id="{table_id}"><caption id="{table_id}-caption">{esc(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>{note}"
    )


def csv_bytes(frame: pd.DataFrame, cols: Sequence[Col]) -> bytes:
    """The rows shown, as published: a withheld cell is empty, with its reason in ``<column>_suppression``."""
    names: list[str] = []
    for col in cols:
        names.append(col.name)
        if col.kind != "dimension" and f"{col.name}_suppression" in frame.columns:
            names.append(f"{col.name}_suppression")
    out = frame.loc[:, [n for n in names if n in frame.columns]].copy()
    for col in cols:
        if col.kind == "count" and col.name in out.columns:
            out[col.name] = out[col.name].astype("Int64")
    buffer = io.StringIO()
    out.to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8")


def count_axis(title: str) -> alt.Axis:
    """An axis for counts whose ticks are 0 or above the threshold (a tick of 2 or 4 would read like a count)."""
    threshold = settings.disclosure_threshold()
    base = settings.disclosure_rounding_base()
    step = (threshold // base + 1) * base
    return alt.Axis(title=title, format=",d", tickMinStep=step)


def percent_axis(title: str) -> alt.Axis:
    """An axis for percentages, in steps of at least 10 points (a tick of 2 or 4 would read like a small count)."""
    return alt.Axis(title=title, tickMinStep=10)


def row_header() -> alt.Header:
    """Facet row labels written horizontally, in full."""
    return alt.Header(labelAngle=0, labelAlign="left", labelLimit=260, labelFontWeight="bold")


def svg(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Ask Vega-Embed for the SVG renderer (Streamlit would switch big charts to canvas) and no action menu.

    Marks are taken out of the accessibility tree (``aria: false``): a mark container without a description is an
    unnamed image to a screen reader (axe ``svg-img-alt``), and one point per month would be read out one by one.
    The chart keeps its own description on the root (``alt``), its axes keep theirs, and the text alternative and
    the data table beside it give every value."""
    chart = chart.configure_axis(labelLimit=260, labelFontSize=12, titleFontSize=12).configure_legend(labelLimit=320)
    chart = chart.configure_mark(aria=False)
    return chart.properties(usermeta={"embedOptions": {"renderer": "svg", "actions": False}})


def plain(text_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text_html))


@dataclass
class Page:
    """One page: its heading and intro, its charts (counted for the page-complete marker)."""

    title: str
    charts: int = 0
    tables: int = 0
    downloads: set[str] = field(default_factory=set)

    def intro(self, text: str, trust: str) -> None:
        st.title(self.title, anchor=False)
        st.html(
            f'<p class="hfc-intro">{esc(text)}</p><p class="hfc-intro"><strong>How far to trust it:</strong> '
            f"{esc(trust)}</p>"
        )

    def section(self, heading: str, text: str | None = None) -> None:
        st.header(heading, anchor=False)
        if text:
            st.html(f'<p class="hfc-intro">{esc(text)}</p>')

    def chart(
        self,
        chart: alt.TopLevelMixin,
        *,
        alt_html: str,
        frame: pd.DataFrame,
        cols: Sequence[Col],
        caption: str,
        file_stem: str,
    ) -> None:
        """Text alternative, SVG chart, data table, CSV download: in that order, in one call."""
        self.charts += 1
        st.html(f'<p class="hfc-alt">{alt_html}</p>')
        st.altair_chart(svg(chart), alt=plain(alt_html), width="stretch")
        self.table(frame, cols, caption=caption, file_stem=file_stem)

    def table(self, frame: pd.DataFrame, cols: Sequence[Col], *, caption: str, file_stem: str) -> None:
        self.tables += 1
        table_id = f"hfc-table-{self.tables}"
        st.html(table_html(frame, cols, caption, table_id))
        stem = re.sub(r"[^a-z0-9_]+", "_", file_stem.lower())
        st.download_button(
            f"Download {caption} (CSV)",
            data=csv_bytes(frame, cols),
            file_name=f"{stem}.csv",
            mime="text/csv",
            key=f"download-{stem}-{self.tables}",
            on_click="ignore",
        )

    def complete(self) -> None:
        st.html(f'<div id="hfc-page-complete" data-charts="{self.charts}"></div>')


def published(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """Rows for a chart: withheld cells stay null (a gap), as floats so Vega-Lite reads them as missing."""
    out = frame.copy()
    for name in columns:
        out[name] = pd.to_numeric(out[name], errors="coerce").astype("float64")
    return out


def labelled(code: object) -> str:
    """``high_intensity_team`` -> ``High intensity team``."""
    text = str(code).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def palette(domain: Sequence[str]) -> alt.Scale:
    colours = list(theme.CATEGORICAL)
    return alt.Scale(domain=list(domain), range=[colours[i % len(colours)] for i in range(len(domain))])


def with_month(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Add ``month`` (``YYYY-MM`` text): charts put months on an ordinal axis, so no time zone can shift them."""
    out = frame.copy()
    out["month"] = [pd.Timestamp(v).strftime("%Y-%m") if not is_missing(v) else "" for v in out[column]]
    return out


def suppressed_cells(frame: pd.DataFrame, columns: Iterable[str]) -> int:
    """How many cells of the rows shown are withheld (a number of table cells, not of people)."""
    return int(sum(frame[f"{c}_suppression"].notna().sum() for c in columns if f"{c}_suppression" in frame.columns))


def suppressed_note(frame: pd.DataFrame, columns: Iterable[str], things: str, effect: str) -> str:
    """ "Some <things> are suppressed and <effect>." in words: a small number in prose would read like a count."""
    if suppressed_cells(frame, columns):
        return f"Some {things} are suppressed and {effect}."
    return f"No {things} are suppressed."


def line_over_months(
    frame: pd.DataFrame, value: str, value_title: str, colour: str | None, colour_title: str, tooltip: list[str]
) -> alt.Chart:
    """Published values month by month; a withheld month breaks the line (a gap, not a zero)."""
    encoding: dict[str, Any] = {
        "x": alt.X("month:O", title="Month", axis=alt.Axis(labelAngle=-45)),
        "y": alt.Y(f"{value}:Q", axis=count_axis(value_title)),
        "tooltip": tooltip,
    }
    if colour:
        domain = sorted(frame[colour].dropna().astype(str).unique())
        encoding["color"] = alt.Color(f"{colour}:N", title=colour_title, scale=palette(domain))
        encoding["shape"] = alt.Shape(f"{colour}:N", title=colour_title)
    else:
        encoding["color"] = alt.value(theme.NHS_BLUE)
    return (
        alt.Chart(published(frame, [value]))
        .mark_line(point=True, invalid="break-paths-show-domains")
        .encode(**encoding)
    )


def rows_where(frame: pd.DataFrame, column: str, keep: Callable[[str], bool]) -> pd.DataFrame:
    """The rows whose ``column`` (as text) passes ``keep``; safe on an empty table (pandas would read an empty mask
    of objects as a list of column names)."""
    mask = [bool(keep(str(value))) for value in frame[column]]
    return frame.loc[pd.Series(mask, index=frame.index, dtype=bool)].copy()
