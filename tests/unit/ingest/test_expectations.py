"""The Great Expectations gate: suites from specs, committed and current; validation reporting counts, never values."""

from __future__ import annotations

import json
import logging
import time
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from pipelines.feeds import FEED_SPECS
from pipelines.feeds.base import DType, FeedSpec
from pipelines.ingest import expectations as ex
from pipelines.ingest.reader import read_delivery
from tests.feed_rows import valid_nhs_number, write_delivery

POLICE = FEED_SPECS["police_incidents"]
ED = FEED_SPECS["ed_attendances"]
OTHERS = tuple(FEED_SPECS.values())
NOW = datetime(2025, 6, 1, 12, 0)  # the feed_rows deliveries are dated 2024-01, births 1980-1999

# Identifiers planted in failing rows: distinctive enough that any occurrence anywhere is a leak.
CANARY_NAME = "Quennell-Zbigniewska"
CANARY_BAD_NHS = "4853016729"  # ten digits, wrong check digit
CANARY_JUNK_NHS = "NHS-QZX-CANARY"
CANARY_POSTCODE = "QZ9 9QQ"
CANARY_RECORD_ID = "CAD-DUPL-CANARY-77"
CANARY_CODE = "CANARYCODE"
CANARY_DOB = date(2091, 7, 13)
CANARY_TEXTS = (
    CANARY_NAME,
    CANARY_BAD_NHS,
    "485 301 6729",
    CANARY_JUNK_NHS,
    CANARY_POSTCODE,
    CANARY_RECORD_ID,
    CANARY_CODE,
    "2091-07-13",
    "13/07/2091",
)


def _accepted(spec: FeedSpec, folder: Path, n: int = 40) -> pd.DataFrame:
    """A delivery as the loader writes it: the reader's accepted rows plus the file and period columns."""
    path = write_delivery(spec, folder / "landing", n=n)
    delivery = read_delivery(spec, path, OTHERS)
    assert delivery.rows_quarantined == 0
    return delivery.accepted.assign(_source_file=path.name, _period=delivery.period)


def _outcome(summary: ex.ValidationSummary, rule: str, column: str | None = None) -> ex.ExpectationOutcome:
    found = [o for o in summary.outcomes if o.rule == rule and (column is None or o.column == column)]
    assert len(found) == 1, (rule, column, found)
    return found[0]


def _canary_batch(folder: Path) -> pd.DataFrame:
    """A police delivery whose failing rows carry planted identifiers, one fault per row."""
    frame = _accepted(POLICE, folder, n=40)
    frame["SUBJECT_SURNAME"] = frame["SUBJECT_SURNAME"].astype(object)
    frame.loc[2, "SUBJECT_SURNAME"] = CANARY_NAME
    frame.loc[2, "SUBJECT_NHS_NO"] = CANARY_BAD_NHS  # row 4: check digit fails
    frame.loc[3, "SUBJECT_NHS_NO"] = CANARY_JUNK_NHS  # row 5: not an NHS number at all
    frame.loc[4, "SUBJECT_POSTCODE"] = CANARY_POSTCODE + "X"  # row 6: not a postcode
    frame.loc[5, "SUBJECT_DOB"] = CANARY_DOB  # row 7: born in the future
    frame.loc[6, "INCIDENT_REF"] = CANARY_RECORD_ID  # rows 8 and 9: duplicated record id
    frame.loc[7, "INCIDENT_REF"] = CANARY_RECORD_ID
    frame.loc[8, "GRADE"] = CANARY_CODE  # row 10: not in the code list
    frame.loc[9, "OPENING_CODE"] = None  # row 11: required field missing
    frame["SUBJECT_SURNAME"] = frame["SUBJECT_SURNAME"].astype("string")
    return frame


def _assert_no_canary(text: str, where: str) -> None:
    for canary in CANARY_TEXTS:
        assert canary not in text, f"planted identifier found in {where}"


# ---------------------------------------------------------------------------------------------------------------
# Suites


@pytest.mark.parametrize("feed", list(FEED_SPECS))
def test_committed_suite_is_up_to_date_with_its_spec(feed: str) -> None:
    committed = ex.suite_path(feed)
    assert committed.exists(), f"expectations/{feed}.json is missing: run pipelines.ingest.expectations.write_suites()"
    expected = ex.suite_json(ex.build_suite(FEED_SPECS[feed]))
    assert committed.read_text(encoding="utf-8") == expected, (
        f"expectations/{feed}.json differs from what its spec implies; regenerate with "
        "`python -c 'from pipelines.ingest.expectations import write_suites; write_suites()'` and review the diff"
    )


def test_expectations_folder_holds_one_suite_per_feed_and_nothing_else() -> None:
    assert sorted(p.stem for p in ex.SUITES_DIR.glob("*.json")) == sorted(FEED_SPECS)


def test_a_spec_change_changes_the_suite() -> None:
    from dataclasses import replace

    grade = POLICE.column("GRADE")
    changed = replace(
        POLICE, columns=tuple(replace(c, codes=(*grade.codes, "5")) if c is grade else c for c in POLICE.columns)
    )
    assert ex.suite_json(ex.build_suite(changed)) != ex.suite_json(ex.build_suite(POLICE))


def test_written_suites_load_back_unchanged(tmp_path: Path) -> None:
    written = ex.write_suites(tmp_path, [POLICE, ED])
    assert [p.name for p in written] == ["police_incidents.json", "ed_attendances.json"]
    for spec in (POLICE, ED):
        loaded = ex.load_suite(spec.name, tmp_path)
        assert ex.suite_json(loaded) == ex.suite_json(ex.build_suite(spec))


def test_a_suite_with_an_invalid_expectation_is_refused(tmp_path: Path) -> None:
    ex.write_suites(tmp_path, [POLICE])
    path = tmp_path / "police_incidents.json"
    data = json.loads(path.read_text())
    data["expectations"][0]["type"] = "expect_no_such_thing"
    path.write_text(json.dumps(data))
    with pytest.raises(Exception, match="police_incidents"):
        ex.read_suite("police_incidents", tmp_path)


BLOCKING_RULES = {"schema_columns", "schema_type", "required_missing", "duplicate_record_id"}


@pytest.mark.parametrize("feed", list(FEED_SPECS))
def test_suite_checks_what_the_spec_declares(feed: str) -> None:
    spec = FEED_SPECS[feed]
    exps = [e.configuration for e in ex.load_suite(feed).expectations]
    by_rule: dict[str, list] = {}
    for e in exps:
        by_rule.setdefault(e.meta["rule"], []).append(e)
        assert isinstance(e.meta["blocking"], bool) and e.meta["level"] in ("batch", "row")
        assert e.meta["blocking"] == (e.meta["rule"] in BLOCKING_RULES)
        assert e.severity == ("critical" if e.meta["blocking"] else "warning")

    (columns,) = by_rule["schema_columns"]
    assert set(columns.kwargs["column_set"]) == {*spec.column_names, "_source_row"}
    assert {e.kwargs["column"] for e in by_rule["schema_type"]} == set(spec.column_names)
    assert {e.kwargs["column"] for e in by_rule["required_missing"]} == {c.name for c in spec.columns if c.required}
    assert [e.kwargs["column"] for e in by_rule["duplicate_record_id"]] == [spec.record_id]
    assert by_rule["duplicate_record_id"][0].type == "expect_column_values_to_be_unique"
    codes = {e.kwargs["column"]: tuple(e.kwargs["value_set"]) for e in by_rule["unknown_code"]}
    assert codes == {c.name: c.codes for c in spec.columns if c.dtype is DType.CODE}
    dobs = {e.kwargs["column"] for e in by_rule.get("date_of_birth_out_of_range", [])}
    assert dobs == {c.name for c in spec.columns if c.person_field == "date_of_birth"}
    assert spec.event_at in {e.kwargs["column"] for e in by_rule["event_date_out_of_range"]}
    nhs = {c.name for c in spec.columns if c.person_field == "nhs_number"}
    assert {e.kwargs["column"] for e in by_rule.get("nhs_number_check_digit", [])} == nhs
    assert all(
        e.type == ex.NHS_EXPECTATION_TYPE and e.kwargs["mostly"] < 1 for e in by_rule.get("nhs_number_check_digit", [])
    )
    assert len(by_rule["row_count_drift"]) == 1 and not by_rule["row_count_drift"][0].meta["blocking"]


# ---------------------------------------------------------------------------------------------------------------
# Row count bounds


@pytest.mark.parametrize(
    ("counts", "bounds"),
    [
        ((), None),
        ((100,), (50, 200)),
        ((101,), (50, 202)),
        ((10, 90, 100, 130), (50, 200)),  # last three only: median 100
        ((100, 0, 300), (100, 400)),  # a period that loaded nothing is no baseline: median of 100 and 300
        ((0, 0), None),
    ],
)
def test_row_count_bounds(counts: tuple[int, ...], bounds: tuple[int, int] | None) -> None:
    assert ex.row_count_bounds(counts) == bounds


# ---------------------------------------------------------------------------------------------------------------
# Validation


@pytest.mark.parametrize("feed", list(FEED_SPECS))
def test_a_clean_delivery_of_every_feed_passes(feed: str, tmp_path: Path) -> None:
    spec = FEED_SPECS[feed]
    summary = ex.validate_delivery(spec, _accepted(spec, tmp_path, n=30), [30, 28, 31], now=NOW)
    assert summary.success, summary.message()
    assert not summary.row_failures().shape[0]
    assert summary.rows == 30 and summary.period == "2024-01"
    assert summary.source_file == spec.file_pattern.replace("*", "2024-01")


def test_the_loaded_parquet_validates_like_the_reader_frame(tmp_path: Path) -> None:
    frame = _accepted(ED, tmp_path, n=25)
    path = tmp_path / "2024-01.parquet"
    frame.to_parquet(path, index=False)
    summary = ex.validate_delivery(ED, pd.read_parquet(path), now=NOW)
    assert summary.success, summary.message()


def test_a_frame_without_source_rows_is_numbered_by_position(tmp_path: Path) -> None:
    frame = _accepted(POLICE, tmp_path, n=10).drop(columns=["_source_row"])
    frame.loc[4, "GRADE"] = "9"
    summary = ex.validate_delivery(POLICE, frame, now=NOW)
    assert summary.row_failures()["_source_row"].tolist() == [6]


def test_blocking_and_row_level_failures_are_reported_by_count_and_row(tmp_path: Path) -> None:
    summary = ex.validate_delivery(POLICE, _canary_batch(tmp_path), now=NOW)

    assert not summary.blocking_success
    assert {(o.rule, o.column) for o in summary.blocking_failures} == {
        ("duplicate_record_id", "INCIDENT_REF"),
        ("required_missing", "OPENING_CODE"),
    }
    dup = _outcome(summary, "duplicate_record_id")
    assert (dup.unexpected_count, dup.element_count, dup.failing_rows) == (2, 40, (8, 9))
    assert _outcome(summary, "required_missing", "OPENING_CODE").failing_rows == (11,)

    rows = summary.row_failures()
    assert list(zip(rows["_source_row"], rows["reason"], rows["column"], strict=True)) == [
        (7, "gx:date_of_birth_out_of_range", "SUBJECT_DOB"),
        (10, "gx:unknown_code", "GRADE"),
    ]
    assert set(rows["_source_file"]) == {"CAD_EXPORT_2024-01.csv"}
    every = summary.row_failures(("row", "batch"))
    assert set(every["_source_row"]) == {4, 5, 6, 7, 8, 9, 10, 11}

    message = summary.message()
    assert "duplicate_record_id on INCIDENT_REF: 2 row(s)" in message
    assert "CAD_EXPORT_2024-01.csv" in message


def test_whole_row_copies_are_set_aside_and_conflicting_ids_still_block(tmp_path: Path) -> None:
    frame = _accepted(POLICE, tmp_path, n=10)
    repeated = pd.concat([frame.iloc[:4], frame.iloc[[2]], frame.iloc[4:]], ignore_index=True)
    repeated["_source_row"] = range(2, len(repeated) + 2)  # as in the file: the copy is row 6
    assert not ex.validate_delivery(POLICE, repeated, now=NOW).blocking_success

    kept, copies = ex.split_exact_duplicates(POLICE, repeated)
    assert copies["_source_row"].tolist() == [6] and copies["reason"].tolist() == ["duplicate_row"]
    assert len(kept) == 10 and 6 not in kept["_source_row"].tolist()
    assert ex.validate_delivery(POLICE, kept, now=NOW).success

    conflicting = repeated.copy()
    conflicting.loc[4, "GRADE"] = "1" if conflicting.loc[4, "GRADE"] != "1" else "2"  # same id, different content
    kept, copies = ex.split_exact_duplicates(POLICE, conflicting)
    assert copies.empty and len(kept) == 11
    assert [o.rule for o in ex.validate_delivery(POLICE, kept, now=NOW).blocking_failures] == ["duplicate_record_id"]


def test_failing_rows_function_matches_the_summary(tmp_path: Path) -> None:
    frame = _canary_batch(tmp_path)
    expected = ex.validate_delivery(POLICE, frame, now=NOW).row_failures()
    pd.testing.assert_frame_equal(ex.failing_rows(POLICE, frame, now=NOW), expected)


def test_schema_drift_blocks(tmp_path: Path) -> None:
    frame = _accepted(POLICE, tmp_path, n=10)
    renamed = frame.rename(columns={"SUBJECT_TEL": "Subject Phone Number"})
    summary = ex.validate_delivery(POLICE, renamed, now=NOW)
    assert ("schema_columns", None) in {(o.rule, o.column) for o in summary.blocking_failures}
    assert _outcome(summary, "schema_type", "SUBJECT_TEL").raised_exception  # the column is not there to type
    observed = next(r for r in summary.gx_result.results if r.expectation_config.type.startswith("expect_table_col"))
    assert "Subject Phone Number" not in json.dumps(observed.to_json_dict())  # an unknown header is not echoed

    typed_wrong = frame.assign(UNITS_ASSIGNED=frame["UNITS_ASSIGNED"].astype("string"))
    assert [(o.rule, o.column) for o in ex.validate_delivery(POLICE, typed_wrong, now=NOW).blocking_failures] == [
        ("schema_type", "UNITS_ASSIGNED")
    ]


def test_dates_out_of_range_are_row_level_warnings(tmp_path: Path) -> None:
    frame = _accepted(POLICE, tmp_path, n=12)
    frame.loc[0, "SUBJECT_DOB"] = date(1899, 12, 31)
    frame.loc[1, "SUBJECT_DOB"] = date(1066, 10, 14)  # outside pandas' timestamp range: still flagged, not crashed
    frame.loc[2, "SUBJECT_DOB"] = date(1900, 1, 1)  # the earliest allowed
    frame.loc[3, "OPENED_DT"] = pd.Timestamp("1999-12-31 23:59")
    frame.loc[4, "CLOSED_DT"] = pd.Timestamp(NOW) + pd.Timedelta(days=3)
    frame.loc[5, "CLOSED_DT"] = pd.Timestamp(NOW) + pd.Timedelta(hours=20)  # within a day's clock skew
    summary = ex.validate_delivery(POLICE, frame, now=NOW)
    assert summary.blocking_success
    rows = summary.row_failures()
    assert list(zip(rows["_source_row"], rows["rule"], strict=True)) == [
        (2, "date_of_birth_out_of_range"),
        (3, "date_of_birth_out_of_range"),
        (5, "event_date_out_of_range"),
        (6, "event_date_out_of_range"),
    ]


def test_row_count_drift_is_a_warning_and_skipped_without_history(tmp_path: Path) -> None:
    frame = _accepted(POLICE, tmp_path, n=20)
    drifted = ex.validate_delivery(POLICE, frame, [100, 110, 90], now=NOW)
    drift = _outcome(drifted, "row_count_drift")
    assert (drift.success, drift.blocking, drift.observed_count) == (False, False, 20)
    assert drifted.blocking_success and drifted.row_count_bounds == (50, 200)

    first = ex.validate_delivery(POLICE, frame, (), now=NOW)
    assert _outcome(first, "row_count_drift").success and first.row_count_bounds is None


def test_an_empty_delivery_validates_and_drift_flags_it(tmp_path: Path) -> None:
    empty = _accepted(POLICE, tmp_path, n=3).iloc[0:0]
    summary = ex.validate_delivery(POLICE, empty, [40, 40, 40], now=NOW)
    assert summary.rows == 0 and summary.blocking_success
    assert [o.rule for o in summary.warnings] == ["row_count_drift"]


def test_identifier_format_rates_tolerate_a_few_bad_numbers(tmp_path: Path) -> None:
    frame = _accepted(ED, tmp_path, n=100)
    frame.loc[1, "NHS_Number"] = "943 476 5919"  # spaced, valid
    frame.loc[2, "NHS_Number"] = "943-476-5919"  # dashed, valid
    frame.loc[3, "NHS_Number"] = None  # missing is not invalid
    frame.loc[4, "NHS_Number"] = valid_nhs_number(4)[:9] + str((int(valid_nhs_number(4)[9]) + 1) % 10)
    one_bad = ex.validate_delivery(ED, frame, now=NOW)
    check = _outcome(one_bad, "nhs_number_check_digit")
    assert (check.success, check.unexpected_count, check.element_count, check.missing_count) == (True, 1, 100, 1)
    assert _outcome(one_bad, "nhs_number_format").unexpected_count == 0

    for i in range(10, 15):
        frame.loc[i, "NHS_Number"] = "123456789"  # nine digits
    many_bad = ex.validate_delivery(ED, frame, now=NOW)
    assert {o.rule for o in many_bad.warnings} == {"nhs_number_check_digit", "nhs_number_format"}
    assert many_bad.blocking_success and _outcome(many_bad, "nhs_number_check_digit").unexpected_count == 6


# ---------------------------------------------------------------------------------------------------------------
# No values leave validation


def test_validation_results_carry_no_planted_value(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    frame = _canary_batch(tmp_path)
    assert CANARY_NAME in frame.to_string()  # the canaries are really in the batch
    with caplog.at_level(logging.DEBUG):
        summary = ex.validate_delivery(POLICE, frame, [40, 40, 40], now=NOW)
    assert not summary.blocking_success  # the planted faults were seen

    _assert_no_canary(repr(summary), "the summary's repr")
    _assert_no_canary(json.dumps(summary.as_dict(), default=str), "the summary")
    _assert_no_canary(summary.row_failures().to_csv(), "the failing rows")
    _assert_no_canary(json.dumps(summary.gx_result.to_json_dict(), default=str), "the GX result")
    _assert_no_canary(str(summary.gx_result), "the GX result's str")
    _assert_no_canary("\n".join(r.getMessage() for r in caplog.records), "the log")

    # GX's own, unsanitised result under our result format carries none either.
    batch, _, _ = ex._prepare(POLICE, frame)
    raw = ex._run_gx(POLICE, batch, ex.load_suite("police_incidents"), ex._parameters(NOW, (20, 80)))
    _assert_no_canary(json.dumps(raw.to_json_dict(), default=str), "GX's raw result")


def test_gx_default_result_format_would_leak_and_sanitising_removes_it(tmp_path: Path) -> None:
    """The control: with GX's default SUMMARY format the canaries are in the result; sanitise_result drops them."""
    batch, _, _ = ex._prepare(POLICE, _canary_batch(tmp_path))
    state = ex._gx()
    with state.lock:
        gx_batch = ex._batch_definition(POLICE.name).get_batch(batch_parameters={"dataframe": batch})
        raw = gx_batch.validate(
            ex.load_suite("police_incidents"), result_format="SUMMARY", expectation_parameters=ex._parameters(NOW, None)
        )
    leaked = json.dumps(raw.to_json_dict(), default=str)
    assert CANARY_CODE in leaked and CANARY_JUNK_NHS in leaked
    _assert_no_canary(json.dumps(ex.sanitise_result(raw).to_json_dict(), default=str), "a sanitised SUMMARY result")


def test_sanitising_withholds_exception_messages() -> None:
    from great_expectations.core import ExpectationSuiteValidationResult, ExpectationValidationResult
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    failed = ExpectationValidationResult(
        success=False,
        expectation_config=ExpectationConfiguration(
            type="expect_column_values_to_be_between", kwargs={"column": "SUBJECT_DOB", "min_value": 1}
        ),
        result={"partial_unexpected_list": [CANARY_NAME], "unexpected_count": 1},
        exception_info={
            "metric-id": {
                "raised_exception": True,
                "exception_message": f"could not convert string to float: '{CANARY_NAME}'",
                "exception_traceback": f"Traceback...\nValueError: could not convert string to float: '{CANARY_NAME}'",
            }
        },
    )
    suite_result = ExpectationSuiteValidationResult(
        success=False, results=[failed], suite_name="police_incidents", meta={"batch_markers": {"fp": "x"}}
    )
    clean = ex.sanitise_result(suite_result)
    _assert_no_canary(json.dumps(clean.to_json_dict(), default=str), "a sanitised exception")
    assert clean.results[0].exception_info["raised_exception"] is True
    assert clean.results[0].exception_info["exception_message"].startswith("ValueError")
    assert clean.results[0].result == {"unexpected_count": 1}
    assert "batch_markers" not in clean.meta
    assert CANARY_NAME in json.dumps(suite_result.to_json_dict())  # the input itself was left untouched


def test_validation_errors_name_the_feed_not_the_value(tmp_path: Path) -> None:
    class Exploding:
        expectations = ()

    with pytest.raises(ex.ValidationError, match=r"^police_incidents: Great Expectations could not validate"):
        ex.validate_delivery(POLICE, _accepted(POLICE, tmp_path, n=3), suite=Exploding(), now=NOW)


# ---------------------------------------------------------------------------------------------------------------
# Performance


def test_one_context_per_process_and_a_5000_row_delivery_validates_fast(tmp_path: Path) -> None:
    frame = _accepted(POLICE, tmp_path, n=5000)
    ex.validate_delivery(POLICE, frame.head(50), now=NOW)  # warm: GX imported, suite loaded
    state = ex._gx()
    assets = [a.name for a in state.datasource.assets]
    started = time.perf_counter()
    summary = ex.validate_delivery(POLICE, frame, [5000, 4900, 5100], now=NOW)
    elapsed = time.perf_counter() - started
    assert summary.success and summary.rows == 5000
    assert elapsed < 3.0, f"5,000-row validation took {elapsed:.2f}s"
    assert ex._gx() is state and [a.name for a in state.datasource.assets] == assets  # nothing new per call
    assert "police_incidents" in assets
