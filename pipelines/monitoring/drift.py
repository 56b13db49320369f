"""Drift of one delivery against a reference window of earlier deliveries: one row per metric tested.

``evaluate`` compares a delivery's :class:`~pipelines.monitoring.profile.Profile` with the sum of the previous
``REFERENCE_WINDOW`` deliveries' (at least ``MIN_REFERENCE_PERIODS`` of them, or nothing is tested) on:

- ``rate:<name>``: each key rate (police tag and our classifier's rate side by side, NHS-number coverage,
  conveyance, hear and treat, self-harm share of ED, questionnaire completion), by the rate test;
- ``missing:<column>``: each published column's missing share, by the rate test;
- ``mix:<column>``: each coded column's mix of recorded codes, by PSI; ``new_codes:<column>``: the share of the
  delivery in codes the reference window never saw;
- ``dist:<column>``: each numeric column's distribution over the reference window's deciles, by PSI.

A column that follows a programme's life cycle (``config/drift.yaml``'s ``lifecycle``) has its own reference for
its mix and new codes (:func:`lifecycle_reference`): untested while the programme settles, then the deliveries
since it settled; its new codes are those unseen in every earlier delivery.

Results are written per delivery to ``pseudonymised/_drift/<feed>/<period>.parquet`` (counts of rows and
statistics only: dbt reads them as ``source('drift', <feed>)``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.feeds import FEED_SPECS
from pipelines.monitoring import stats
from pipelines.monitoring.config import (
    LIFECYCLE_WINDOW,
    MIN_REFERENCE_PERIODS,
    REFERENCE_WINDOW,
    Columns,
    Lifecycle,
    Severity,
    load_columns,
)
from pipelines.monitoring.profile import UNITS, Profile, column_kinds, key_rates
from pipelines.ops.atomic import write_parquet
from pipelines.settings import Zones

DRIFT_DIR = "_drift"
QUARANTINE = "quarantine"
LOAD_AUDIT_DIR = "_load_audit"  # ingest's counts per delivery (pipelines.ingest.load.AUDIT_DIR)
COLUMNS = (
    "feed",
    "delivery_period",
    "metric",
    "metric_kind",
    "column_name",
    "metric_description",
    "statistic",
    "threshold",
    "current_value",
    "reference_value",
    "current_count",
    "current_denominator",
    "rows_in_delivery",
    "reference_rows",
    "reference_periods",
    "reference_period_count",
    "is_tested",
    "is_drifted",
    "severity",
    "evaluated_at",
)


@dataclass(frozen=True)
class Metric:
    name: str  # rate:mental_health_tag, missing:<column>, mix:<column>, new_codes:<column>, dist:<column>
    kind: str  # rate, missing, mix, new_codes, dist
    column: str | None
    description: str


def metrics(feed: str) -> tuple[Metric, ...]:
    """Every metric tested on ``feed``'s deliveries, in a fixed order."""
    kinds = column_kinds(feed)
    out = [Metric(f"rate:{r.name}", "rate", None, f"Rate: {r.description}") for r in key_rates(feed)]
    out.append(Metric(f"rate:{QUARANTINE}", "rate", None, "Rate: rows of the delivery ingest put in quarantine"))
    out += [Metric(f"missing:{c}", "missing", c, f"Missing share of {c}") for c in kinds.missing]
    out += [Metric(f"mix:{c}", "mix", c, f"Mix of recorded values of {c} (PSI)") for c in kinds.coded]
    out += [
        Metric(f"new_codes:{c}", "new_codes", c, f"Share in codes of {c} unseen in the reference window")
        for c in kinds.code_lists
    ]
    out += [
        Metric(f"dist:{c}", "dist", c, f"Distribution of {c} over the reference deciles (PSI)") for c in kinds.numeric
    ]
    return tuple(out)


def reference_window(periods: Sequence[str], period: str, window: int = REFERENCE_WINDOW) -> list[str]:
    """The up to ``window`` delivery periods before ``period``, oldest first."""
    return sorted(p for p in periods if p < period)[-window:]


def describe_periods(periods: Sequence[str]) -> str:
    return f"{periods[0]}..{periods[-1]}" if periods else ""


def _spec_codes(feed: str, column: str) -> tuple[str, ...]:
    return next((tuple(c.codes or ()) for c in FEED_SPECS[feed].columns if c.output_name == column), ())


def lifecycle_start(life: Lifecycle, profiles: Mapping[str, Profile], nonempty: Sequence[str]) -> str | None:
    """The first delivery of the programme in ``life.column``: the first holding one of its codes (no codes: the
    feed's first delivery with rows); None before it has started."""
    for p in nonempty:
        mix = profiles[p].mixes.get(life.column, {})
        if not life.codes or any(mix.get(code, 0) > 0 for code in life.codes):
            return p
    return None


def lifecycle_reference(
    life: Lifecycle,
    kind: str,
    profiles: Mapping[str, Profile],
    period: str,
    nonempty: Sequence[str],
    min_periods: int = MIN_REFERENCE_PERIODS,
) -> tuple[list[str], set[str]] | None:
    """The reference deliveries of a life-cycle column's ``mix`` or ``new_codes`` for ``period``, and the codes not
    counted as new; None: the usual window applies (the programme has not started in the column).

    From the start, for ``settle`` deliveries (the start included), the mix is not tested (no reference) and a new
    code is one neither seen before nor the programme's own (``codes``, or the column's whole code list). After, the
    mix is compared with the deliveries since it settled (up to ``LIFECYCLE_WINDOW``, at least ``min_periods``) and a
    new code is one unseen in every earlier delivery."""
    start = lifecycle_start(life, profiles, nonempty)
    if start is None or period < start:
        return None
    earlier = [p for p in nonempty if p < period]
    after = [p for p in nonempty if p >= start]
    settled_from = after[life.settle] if life.settle < len(after) else None
    settling = settled_from is None or period < settled_from
    if kind == "new_codes":
        expected = set(life.codes or _spec_codes(life.feed, life.column)) if settling else set()
        return earlier, expected
    if settling:
        return [], set()
    settled = [p for p in earlier if p >= str(settled_from)][-LIFECYCLE_WINDOW:]
    return (settled if len(settled) >= min_periods else []), set()


def _test(metric: Metric, current: Profile, reference: Profile, expected: set[str] | None = None) -> stats.TestResult:
    col = metric.column or ""
    row_level = col in UNITS.get(current.feed, (None, ()))[1] or metric.name == f"rate:{QUARANTINE}"
    design = (current.design_effect(row_level), reference.design_effect(row_level))
    if metric.kind == "rate":
        name = metric.name.removeprefix("rate:")
        if name not in current.rates or any(name not in p.rates for p in reference.parts):
            return stats.NOT_TESTED  # the quarantine rate, where a delivery has no load audit
        k, n = current.rates[name]
        rk, rn = reference.rates[name]
        return stats.rate_test(k, n, rk, rn, design=design)
    if metric.kind == "missing":
        return stats.rate_test(
            current.missing[col],
            current.missing_rows[col],
            reference.missing[col],
            reference.missing_rows[col],
            design=design,
        )
    if metric.kind == "mix":
        return stats.mix_test(reference.mixes[col], current.mixes[col], design=design)
    if metric.kind == "new_codes":
        seen = dict(reference.mixes[col])
        for code in expected or ():
            seen[code] = seen.get(code, 0) + 1  # the programme's own codes, expected to appear while it settles
        return stats.new_code_test(seen, current.mixes[col])
    ref_values = reference.numerics[col]
    edges = stats.quantile_edges(ref_values)
    cur_values = current.numerics[col]
    ref_bins = stats.binned(ref_values[~np.isnan(ref_values)], edges)
    cur_bins = stats.binned(cur_values[~np.isnan(cur_values)], edges)
    return stats.mix_test(ref_bins, cur_bins, design=design)


def current_counts(metric: Metric, current: Profile) -> tuple[int | None, int]:
    """What the delivery holds for ``metric``, tested or not: (records counted, out of how many)."""
    col = metric.column or ""
    if metric.kind == "rate":
        k, n = current.rates.get(metric.name.removeprefix("rate:"), (None, 0))
        return k, n
    if metric.kind == "missing":
        return current.missing[col], current.missing_rows[col]
    if metric.kind == "dist":
        values = current.numerics[col]
        return None, int((~np.isnan(values)).sum())
    return None, sum(current.mixes[col].values())  # mix, new_codes: the rows with a value


def evaluate(
    feed: str,
    profiles: Mapping[str, Profile],
    period: str,
    severity: Severity | None = None,
    *,
    window: int = REFERENCE_WINDOW,
    min_periods: int = MIN_REFERENCE_PERIODS,
    now: dt.datetime | None = None,
    columns: Columns | None = None,
) -> pd.DataFrame:
    """One row per metric of ``feed``'s delivery ``period`` (columns :data:`COLUMNS`). ``columns``: the life-cycle
    settings (default: ``config/drift.yaml``'s)."""
    severity = severity or Severity()
    columns = columns if columns is not None else load_columns()
    current = profiles[period]
    # the reference is earlier deliveries with rows: a feed's empty months before it starts are no baseline
    nonempty = sorted(p for p, prof in profiles.items() if prof.rows > 0)
    window_periods = reference_window(nonempty, period, window)
    window_ref = Profile.combined([profiles[p] for p in window_periods]) if len(window_periods) >= min_periods else None
    evaluated_at = (now or dt.datetime.now(dt.UTC)).replace(tzinfo=None)
    rows = []
    for metric in metrics(feed):
        ref_periods, reference, expected = window_periods, window_ref, None
        life = columns.lifecycle_of(feed, metric.column) if metric.kind in ("mix", "new_codes") else None
        own = lifecycle_reference(life, metric.kind, profiles, period, nonempty, min_periods) if life else None
        if own is not None:
            ref_periods, expected = own
            enough = len(ref_periods) >= min_periods
            reference = Profile.combined([profiles[p] for p in ref_periods]) if enough else None
        result = _test(metric, current, reference, expected) if reference is not None else stats.NOT_TESTED
        rows.append(
            {
                "feed": feed,
                "delivery_period": period,
                "metric": metric.name,
                "metric_kind": metric.kind,
                "column_name": metric.column,
                "metric_description": metric.description,
                "statistic": result.statistic,
                "threshold": result.threshold,
                "current_value": result.current,
                "reference_value": result.reference,
                "current_count": current_counts(metric, current)[0],
                "current_denominator": current_counts(metric, current)[1],
                "rows_in_delivery": current.rows,
                "reference_rows": reference.rows if reference is not None else 0,
                "reference_periods": describe_periods(ref_periods if reference is not None else []),
                "reference_period_count": len(ref_periods) if reference is not None else 0,
                "is_tested": result.tested,
                "is_drifted": result.is_drifted,
                "severity": severity.of(feed, metric.name),
                "evaluated_at": evaluated_at,
            }
        )
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    for col in ("statistic", "threshold", "current_value", "reference_value"):
        out[col] = out[col].astype("float64")
    for col in ("rows_in_delivery", "reference_rows", "reference_period_count", "current_denominator"):
        out[col] = out[col].astype("int64")
    out["current_count"] = out["current_count"].astype("Int64")
    for col in ("is_tested", "is_drifted"):
        out[col] = out[col].astype(bool)
    return out


# -- the zones ------------------------------------------------------------------------------------------------


def delivery_periods(zones: Zones, feed: str) -> list[str]:
    folder = zones.pseudonymised / feed
    return sorted(p.name.removeprefix("period=") for p in folder.glob("period=*") if any(p.glob("*.parquet")))


def read_delivery(zones: Zones, feed: str, period: str) -> pd.DataFrame:
    files = sorted((zones.pseudonymised / feed / f"period={period}").glob("*.parquet"))
    if not files:
        return pd.DataFrame()
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


def load_profiles(
    zones: Zones, feed: str, periods: Sequence[str], window: int = REFERENCE_WINDOW, columns: Columns | None = None
) -> dict[str, Profile]:
    """Profiles of ``periods`` and of the deliveries in their reference windows (the ``window`` latest earlier
    deliveries with rows: a feed's empty months before it starts are read, and skipped); every earlier delivery
    for a feed with a life-cycle column, whose start and settled deliveries are its reference."""
    columns = columns if columns is not None else load_columns()
    available = delivery_periods(zones, feed)
    profiles: dict[str, Profile] = {}
    people = person_keys(zones, feed)
    applies = columns.applies_of(feed)
    if any(life.feed == feed for life in columns.lifecycle):
        window = len(available)

    def profile(p: str) -> Profile:
        if p not in profiles:
            found = Profile.of(feed, p, read_delivery(zones, feed, p), people, applies)
            audit = zones.pseudonymised / LOAD_AUDIT_DIR / feed / f"{p}.parquet"
            if audit.exists():
                row = pd.read_parquet(audit, columns=["rows_received", "rows_quarantined"]).iloc[0]
                found.rates[QUARANTINE] = (int(row["rows_quarantined"]), int(row["rows_received"]))
            profiles[p] = found
        return profiles[p]

    for period in periods:
        profile(period)
        kept = 0
        for earlier in sorted((p for p in available if p < period), reverse=True):
            kept += profile(earlier).rows > 0
            if kept >= window:
                break
    return dict(sorted(profiles.items()))


def person_keys(zones: Zones, feed: str) -> pd.Series | None:
    """record_key -> person_key of ``feed``'s records (pseudonymised/person_keys), or None before linkage ran."""
    path = zones.pseudonymised / "person_keys" / "person_keys.parquet"
    if not path.exists():
        return None
    keys = pd.read_parquet(path, columns=["feed", "record_key", "person_key"], filters=[("feed", "==", feed)])
    return pd.Series(keys["person_key"].astype(str).to_numpy(), index=keys["record_key"].astype(str).to_numpy())


def results_path(zones: Zones, feed: str, period: str) -> Path:
    return zones.pseudonymised / DRIFT_DIR / feed / f"{period}.parquet"


def write_results(zones: Zones, frame: pd.DataFrame) -> list[Path]:
    written = []
    for (feed, period), rows in frame.groupby(["feed", "delivery_period"], sort=True):
        target = results_path(zones, str(feed), str(period))
        write_parquet(rows.reset_index(drop=True), target)  # aside, flushed, renamed; microsecond timestamps
        written.append(target)
    return written
