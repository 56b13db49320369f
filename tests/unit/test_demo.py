from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

import pytest

from pipelines.demo import Blocked, blocked_deliveries, contiguous_ranges, failure_lines


def test_ranges_never_span_a_partition_that_was_not_asked_for() -> None:
    ordered = ["2024-01", "2024-02", "2024-03", "2023-12", "2024-04"]  # a late delivery added last
    assert contiguous_ranges(ordered, {"2024-01", "2024-02", "2024-04"}) == [
        ("2024-01", "2024-02"),
        ("2024-04", "2024-04"),
    ]
    assert contiguous_ranges(ordered, set()) == []
    assert contiguous_ranges(ordered, set(ordered)) == [("2024-01", "2024-04")]


def _ev(kind: str, **data: object) -> SimpleNamespace:
    return SimpleNamespace(event_type_value=kind, event_specific_data=SimpleNamespace(**data), step_key="raw__x")


def _md(**values: object) -> dict[str, SimpleNamespace]:
    return {k: SimpleNamespace(value=v) for k, v in values.items()}


def _observation(period: str, rejected: int, reasons: dict[str, int], rows: int) -> SimpleNamespace:
    metadata = _md(files_rejected=rejected, quarantine_reasons=reasons, rows_held_in_rejected_files=rows)
    observed = SimpleNamespace(asset_key=SimpleNamespace(path=["raw", "x"]), partition=period, metadata=metadata)
    return _ev("ASSET_OBSERVATION", asset_observation=observed)


def _check(name: str, passed: bool, details: str, severity: str = "ERROR") -> SimpleNamespace:
    return _ev(
        "ASSET_CHECK_EVALUATION",
        asset_key=SimpleNamespace(path=["raw", "x"]),
        check_name=name,
        passed=passed,
        severity=SimpleNamespace(value=severity),
        metadata=_md(details=details),
    )


def _failure(cls_name: str) -> SimpleNamespace:
    error = SimpleNamespace(cls_name=cls_name, message="1 blocking asset check failed\nmore", cause=None)
    return _ev("STEP_FAILURE", error=error)


def test_the_failed_range_runs_events_name_the_blocked_deliveries_and_their_checks() -> None:
    events = [
        _observation("2024-01", 0, {}, 0),
        _observation("2024-02", 1, {"missing_columns": 31}, 31),
        _observation("2024-03", 1, {"control_total_shortfall": 3}, 3),
        _check("great_expectations_gate", False, "- 2024-02 X_2024-02.csv: required columns missing"),
        _check("control_total", False, "- 2024-03: 3 rows fewer than the control total"),
        _check("ingest_warnings", False, "- 2024-01: an encoding warning", severity="WARN"),
        _failure("DagsterAssetCheckFailedError"),
    ]
    blocked = blocked_deliveries(SimpleNamespace(all_events=events), "x")
    assert blocked == [
        Blocked("x", "2024-02", ["great_expectations_gate"], ["missing_columns"], 31),
        Blocked("x", "2024-03", ["control_total"], ["control_total_shortfall"], 3),
    ]
    said = blocked[1].line({("x", "control_total"): "Rows against the control total (<file>.ctl): a shortfall"}, 7)
    assert said == (
        "x 2024-03: blocked, control_total failed (Rows against the control total (<file>.ctl)); "
        "reason control_total_shortfall; rows held in quarantine: fewer than 8"  # never a count from 1 to 7
    )


def test_a_run_that_failed_for_another_reason_names_no_delivery() -> None:
    events = [_observation("2024-02", 1, {"missing_columns": 31}, 31), _failure("KeyError")]
    assert blocked_deliveries(SimpleNamespace(all_events=events), "x") is None
    assert failure_lines(SimpleNamespace(all_events=events)) == ["FAILED raw__x: 1 blocking asset check failed | more"]


@pytest.mark.slow
@pytest.mark.heavy
def test_a_blocked_delivery_is_one_line_on_screen_and_its_stack_trace_is_in_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import dagster as dg

    from pipelines.demo import Output, Runner, ingest, prepare_dagster_home, register_deliveries
    from pipelines.ops.progress import Progress, RunLog, listen, log_path
    from pipelines.settings import zones
    from pipelines.synth import generate

    root = tmp_path / "data"
    generate(root, people=150, months=3, seed=5)
    # the middle month's police delivery renames a required column (as `hfc synth --faults` plants renamed_column)
    delivery = root / "landing" / "police_incidents" / "CAD_EXPORT_2024-02.csv"
    header, rest = delivery.read_text(encoding="utf-8").split("\n", 1)
    delivery.write_text(header.replace("OPENING_CODE", "OPEN_CODE") + "\n" + rest, encoding="utf-8")
    monkeypatch.setenv("HFC_DATA_DIR", str(root))
    monkeypatch.setenv("DAGSTER_HOME", str(root / "dagster"))
    monkeypatch.setenv("HFC_WAREHOUSE_PATH", str(tmp_path / "warehouse" / "outcomes.duckdb"))
    zone = zones()
    prepare_dagster_home(zone)
    screen = io.StringIO()  # not a terminal: plain lines
    out = Output(Progress(screen), RunLog(log_path(root)))
    instance = dg.DagsterInstance.get()
    run = Runner(instance, out)
    ranges, ordered = register_deliveries(instance, zone, ["police_incidents"])
    with listen(instance, run.event):
        blocked = ingest(run, ranges, ordered)
    out.log.close()

    assert [(b.feed, b.period) for b in blocked] == [("police_incidents", "2024-02")]
    assert run.runs == 3  # the range, then the months before and after the blocked one; never one by one
    said = screen.getvalue()
    lines = [line for line in said.splitlines() if ": blocked, " in line]
    assert len(lines) == 1
    assert "police_incidents 2024-02: blocked, great_expectations_gate failed (Blocking expectations of " in lines[0]
    assert "reason missing_columns" in lines[0]
    captured = capsys.readouterr()
    assert "Traceback" not in said + captured.out + captured.err
    logged = out.log.path.read_text(encoding="utf-8")
    assert out.log.path.parent == root / "logs"
    assert "Traceback (most recent call last):" in logged and "DagsterAssetCheckFailedError" in logged
    published = sorted(p.parent.name for p in (zone.pseudonymised / "police_incidents").glob("period=*/*.parquet"))
    assert published == ["period=2024-01", "period=2024-03"]  # the others published, the blocked one held
