"""The Evidently report of one delivery against its reference window, saved offline under ``reports/drift/``.

Evidently 0.7's Report and preset API (``Report([DataDriftPreset(...)])``, ``Report.run(current, reference)``) on a
disclosure-safe view of the rows: every coded, generalised or numeric column (numbers binned by the reference
window's deciles) and each key rate as a yes/no column, where a value held by 1 to the disclosure threshold rows of
either the delivery or the reference is merged with others (``other``), missing values shown as ``(missing)``.
So no count from 1 to the threshold can appear in the report, and no key, free text or identifier reaches it.
Evidently's per-column PSI threshold is set to ours (:mod:`pipelines.monitoring.stats`), so its verdicts and
``drift_flags`` read the same way. The saved HTML goes through :func:`pipelines.offline_html.offline_html`
(Evidently's bundle links plotly's CDN, and the page must fetch nothing); the bundle itself is read from
``<data>/static/evidently/`` by relative path.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.monitoring import stats
from pipelines.monitoring.profile import MISSING, UNITS, column_kinds, key_rates
from pipelines.offline_html import offline_html
from pipelines.settings import Zones, disclosure_threshold

OTHER = "other"
REPORTS_DIR = "drift"


def safe_bins(reference: Mapping[str, int], current: Mapping[str, int], threshold: int) -> dict[str, str]:
    """value -> label, merging values until no label holds 1 to ``threshold`` rows in either dataset."""
    groups = [[v] for v in sorted(set(reference) | set(current))]

    def total(group: list[str], counts: Mapping[str, int]) -> int:
        return sum(counts.get(v, 0) for v in group)

    def unsafe(group: list[str]) -> bool:
        return any(1 <= total(group, c) <= threshold for c in (reference, current))

    while len(groups) > 1 and any(unsafe(g) for g in groups):
        bad = [g for g in groups if unsafe(g)]
        merged = [v for g in bad for v in g]
        groups = [g for g in groups if not unsafe(g)]
        if unsafe(merged) and groups:
            smallest = min(groups, key=lambda g: total(g, reference) + total(g, current))
            groups.remove(smallest)
            merged += smallest
        groups.append(merged)
    if len(groups) == 1 and unsafe(groups[0]):
        return {}  # the whole column is that rare: left out
    return {v: (g[0] if len(g) == 1 else OTHER) for g in groups for v in g}


def _column_values(frame: pd.DataFrame, name: str, edges: np.ndarray | None) -> pd.Series:
    if name not in frame:
        return pd.Series(MISSING, index=frame.index)
    if edges is None:
        return frame[name].astype("string").fillna(MISSING).astype(str)
    values = pd.to_numeric(frame[name], errors="coerce").astype(float).to_numpy(na_value=np.nan)
    idx = np.searchsorted(edges, values, side="right")
    labels = np.array([f"bin {i + 1:02d}" for i in range(len(edges) + 1)], dtype=object)
    return pd.Series(np.where(np.isnan(values), MISSING, labels[idx]), index=frame.index)


Marks = dict[str, np.ndarray]


def report_marks(feed: str, frame: pd.DataFrame) -> Marks:
    """Each key rate's mark on ``frame``, as the report shows it (per unit where the feed has units, else per row).

    Row-level marks (every feed without units) are row by row, so a reference window's marks are its deliveries'
    marks one after another: ``run_drift`` computes them once per delivery, not once per report that reads it (the
    classifier is most of the cost). A feed with units is marked on the whole window, as before."""
    unit, _ = UNITS.get(feed, (None, ()))
    per_unit = unit is not None and unit in frame
    return {r.name: r.mark(frame).to_numpy() for r in key_rates(feed) if r.per_unit == per_unit}


def report_frames(
    feed: str,
    current: pd.DataFrame,
    reference: pd.DataFrame,
    marks: tuple[Marks, Marks] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The disclosure-safe (current, reference) views the report is run on: text labels only. ``marks``: the
    key rates' marks of ``current`` and ``reference`` (:func:`report_marks`), when already known."""
    unit, row_level = UNITS.get(feed, (None, ()))
    cur_marks, ref_marks = marks if marks is not None else (report_marks(feed, current), report_marks(feed, reference))
    if unit is not None and unit in current:
        current = current.drop_duplicates(unit).reset_index(drop=True)
        reference = reference.drop_duplicates(unit).reset_index(drop=True)
    kinds = column_kinds(feed)
    cur, ref = pd.DataFrame(index=current.index), pd.DataFrame(index=reference.index)
    for name in [c for c in (*kinds.coded, *kinds.numeric) if c not in row_level]:
        edges = None
        if name in kinds.numeric:
            values = pd.to_numeric(reference.get(name, pd.Series(dtype=float)), errors="coerce").astype(float)
            edges = stats.quantile_edges(values.to_numpy(na_value=np.nan))
        cur[name], ref[name] = _column_values(current, name, edges), _column_values(reference, name, edges)
    for name in cur_marks:
        cur[f"rate_{name}"] = np.where(cur_marks[name], "yes", "no")
        ref[f"rate_{name}"] = np.where(ref_marks[name], "yes", "no")
    threshold = disclosure_threshold()
    for name in list(cur.columns):
        labels = safe_bins(ref[name].value_counts().to_dict(), cur[name].value_counts().to_dict(), threshold)
        if not labels:
            cur, ref = cur.drop(columns=name), ref.drop(columns=name)
            continue
        cur[name], ref[name] = cur[name].map(labels), ref[name].map(labels)
    return cur, ref


def build_report(
    feed: str,
    period: str,
    current: pd.DataFrame,
    reference: pd.DataFrame,
    thresholds: Mapping[str, float] | None = None,
    reference_periods: str = "",
    marks: tuple[Marks, Marks] | None = None,
) -> str:
    """The report's HTML, offline. ``thresholds``: column -> PSI threshold (ours), where known; ``marks`` as for
    :func:`report_frames`."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    cur, ref = report_frames(feed, current, reference, marks)
    columns = list(cur.columns)
    definition = DataDefinition(categorical_columns=columns)
    per_column = {c: float(t) for c, t in (thresholds or {}).items() if c in columns and t is not None}
    report = Report(
        [DataDriftPreset(columns=columns, method="psi", threshold=stats.PSI_FLOOR, per_column_threshold=per_column)],
        metadata={"feed": feed, "delivery_period": period, "reference_periods": reference_periods},
    )
    run = report.run(
        current_data=Dataset.from_pandas(cur, data_definition=definition),
        reference_data=Dataset.from_pandas(ref, data_definition=definition),
    )
    return offline_html(_html(run))


def _html(run: object) -> str:
    """The snapshot's page, as ``Snapshot.get_html_str`` renders it, but with Evidently's script bundle and icon
    font read from ``<data>/static/evidently/`` (relative paths) instead of inlined in every page (see
    :func:`install_static`)."""
    from evidently.legacy.model.dashboard import DashboardInfo
    from evidently.legacy.model.widget import AdditionalGraphInfo, BaseWidgetInfo
    from evidently.legacy.renderers.html_widgets import group_widget
    from evidently.legacy.utils.dashboard import TemplateParams, file_html_template

    # as evidently.core.metric_types.render_widgets, which Snapshot.get_html_str calls
    widgets = [group_widget(title="", widgets=run._widgets), *run._tests_widgets]  # type: ignore[attr-defined]
    graphs: dict[str, object] = {}
    for widget in widgets:
        for graph in widget.get_additional_graphs():
            info = graph.params if isinstance(graph, AdditionalGraphInfo) else graph
            graphs[str(graph.id)] = info.dict() if isinstance(info, BaseWidgetInfo) else info
    lib, font = static_files()
    params = TemplateParams(
        dashboard_id="drift_report",
        dashboard_info=DashboardInfo(name="Report", widgets=widgets),
        additional_graphs=graphs,
        embed_font=False,
        embed_lib=False,
        font_file=f"../../../{STATIC_DIR}/{font.name}",  # from reports/drift/<feed>/
        include_js_files=[f"../../../{STATIC_DIR}/{lib.name}"],
    )
    return file_html_template(params)


STATIC_DIR = "static/evidently"  # under the data root, beside reports/


def static_files() -> tuple[Path, Path]:
    """Evidently's script bundle and icon font, as the installed package ships them."""
    import evidently

    static = Path(evidently.__path__[0]) / "nbextension" / "static"
    return static / "index.js", static / "material-ui-icons.woff2"


def static_dir(zones: Zones) -> Path:
    return zones.root / STATIC_DIR


def install_static(zones: Zones) -> Path:
    """Copy Evidently's script bundle and icon font to ``<data>/static/evidently/``, once per version.

    Not in ``reports/``: the files are the installed package's, hold no data, and their 4 MB of minified code match
    the identifier pattern families by chance (a phone-like number, two postcode-like tokens, a licence e-mail), so
    ``hfc scan-pii`` over the reports would flag vendor code in every report (inlined) or once (beside them)."""
    import shutil

    folder = static_dir(zones)
    folder.mkdir(parents=True, exist_ok=True)
    for source in static_files():
        target = folder / source.name
        if not target.exists() or target.stat().st_size != source.stat().st_size:
            shutil.copyfile(source, target)
    return folder


def report_path(zones: Zones, feed: str, period: str) -> Path:
    return zones.reports / REPORTS_DIR / feed / f"{period}.html"


def save_report(zones: Zones, feed: str, period: str, html: str) -> Path:
    install_static(zones)
    target = report_path(zones, feed, period)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(target)
    return target
