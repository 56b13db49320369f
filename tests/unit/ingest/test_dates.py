"""A delivery whose date format changed is held whole, naming the column and the format seen; bad rows are not."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from pipelines.feeds import FEED_SPECS
from pipelines.feeds.base import DType, FeedSpec
from pipelines.ingest import dates
from pipelines.ingest.reader import DeliveryRejected, read_delivery
from tests.feed_rows import rows, write_delivery

OTHERS = tuple(FEED_SPECS.values())
POLICE = FEED_SPECS["police_incidents"]
SWAPPABLE = [s for s in FEED_SPECS.values() if dates.swapped_format(s.date_formats[0])]
NOT_SWAPPABLE = [s for s in FEED_SPECS.values() if not dates.swapped_format(s.date_formats[0])]


def _fmt(spec: FeedSpec, column: str) -> str:
    return spec.datetime_formats[0] if spec.column(column).dtype is DType.DATETIME else spec.date_formats[0]


def _rewrite(spec: FeedSpec, body: list[list[str]], to: dict[DType, str], every: int = 1) -> int:
    """Rewrite the dates of every ``every``-th row in other formats (by column type); return the rows changed."""
    changed = 0
    for k, row in enumerate(body):
        if k % every:
            continue
        changed += 1
        for i, col in enumerate(spec.columns):
            if col.dtype in to and row[i]:
                row[i] = datetime.strptime(row[i], _fmt(spec, col.name)).strftime(to[col.dtype])
    return changed


def _swapped(spec: FeedSpec) -> dict[DType, str]:
    return {
        DType.DATE: dates.swapped_format(spec.date_formats[0]) or spec.date_formats[0],
        DType.DATETIME: dates.swapped_format(spec.datetime_formats[0]) or spec.datetime_formats[0],
    }


def test_swapped_format_exchanges_day_and_month_only_where_they_can_be_confused() -> None:
    assert dates.swapped_format("%d/%m/%Y") == "%m/%d/%Y"
    assert dates.swapped_format("%m/%d/%y %H:%M") == "%d/%m/%y %H:%M"
    assert dates.swapped_format("%Y-%m-%d") is None  # year-first: nobody writes %Y-%d-%m
    assert dates.swapped_format("%d-%b-%Y") is None  # a month name cannot be misread
    assert dates.order_name("%d/%m/%Y") == "day-first" and dates.order_name("%m/%d/%Y") == "month-first"


@pytest.mark.parametrize("spec", SWAPPABLE, ids=[s.name for s in SWAPPABLE])
def test_a_switch_to_month_first_is_held_whole_naming_the_column_and_the_format_seen(spec, tmp_path: Path) -> None:
    body = rows(spec, 30)  # days 1..28: about half of them can tell day-first from month-first
    _rewrite(spec, body, _swapped(spec))
    path = write_delivery(spec, tmp_path, body=body)
    with pytest.raises(DeliveryRejected) as err:
        read_delivery(spec, path, OTHERS)
    assert err.value.reason == "date_format_changed"
    assert err.value.rows == 30  # the rows it holds, for reconciliation
    message = err.value.message
    assert path.name in message and "month-first" in message
    assert any(dates.swapped_format(f) in message for f in (*spec.date_formats, *spec.datetime_formats))
    assert any(c.name in message for c in spec.columns if c.dtype in (DType.DATE, DType.DATETIME))


@pytest.mark.parametrize("spec", NOT_SWAPPABLE, ids=[s.name for s in NOT_SWAPPABLE])
def test_a_change_to_a_format_the_feed_does_not_declare_is_held_naming_it(spec, tmp_path: Path) -> None:
    body = rows(spec, 30)  # days 1..28: about half of them can tell day-first from month-first
    _rewrite(spec, body, {DType.DATE: "%m/%d/%Y", DType.DATETIME: "%m/%d/%Y %H:%M"})
    with pytest.raises(DeliveryRejected) as err:
        read_delivery(spec, write_delivery(spec, tmp_path, body=body), OTHERS)
    assert err.value.reason == "date_format_changed"
    assert "%m/%d/%Y" in err.value.message


def test_month_first_dates_that_mostly_parse_are_held_on_the_evidence_of_the_few_that_cannot(tmp_path: Path) -> None:
    spec = FEED_SPECS["mh_outcome_measures"]  # %d/%m/%Y
    body = rows(spec, 40)
    dob, assessed = spec.column_names.index("DOB"), spec.column_names.index("Assessment_Date")
    for k, row in enumerate(body):
        row[dob] = date(1980, 1 + k % 12, 1 + k % 12).strftime("%d/%m/%Y")  # day == month: fits both orders
        day = 20 if k == 7 else 1 + k % 12  # one value only one order fits
        row[assessed] = date(2024, 1, day).strftime("%m/%d/%Y")
    path = write_delivery(spec, tmp_path, body=body)
    with pytest.raises(DeliveryRejected) as err:
        read_delivery(spec, path, OTHERS)
    assert err.value.reason == "date_format_changed"
    assert "Assessment_Date" in err.value.message and "%m/%d/%Y" in err.value.message
    assert "1 of 40 values fit only %m/%d/%Y" in err.value.message


def test_a_few_us_dates_in_a_day_first_file_are_quarantined_as_rows(tmp_path: Path) -> None:
    body = rows(POLICE, 40)
    dob = POLICE.column_names.index("SUBJECT_DOB")
    body[3][dob] = "03/27/1985"
    body[9][dob] = "02/14/1990"
    delivery = read_delivery(POLICE, write_delivery(POLICE, tmp_path, body=body), OTHERS)
    assert delivery.rows_quarantined == 2
    assert set(delivery.rejected["reason"]) == {"invalid_date"}


def test_the_hold_rate_is_a_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = FEED_SPECS["ambulance_calls"]  # ISO
    body = rows(spec, 40)
    changed = _rewrite(spec, body, {DType.DATETIME: "%d/%m/%Y %H:%M"}, every=8)  # 5 of 40: 12.5%
    assert changed == 5
    path = write_delivery(spec, tmp_path, body=body)
    with pytest.raises(DeliveryRejected):
        read_delivery(spec, path, OTHERS)
    monkeypatch.setenv("HFC_DATE_HOLD_RATE", "0.2")
    delivery = read_delivery(spec, path, OTHERS)
    assert delivery.rows_quarantined == 5 and set(delivery.rejected["reason"]) == {"invalid_datetime"}
    assert read_delivery(spec, path, OTHERS, hold_rate=0.5).rows_loaded == 35


def test_too_few_failures_are_never_a_change_of_format(tmp_path: Path) -> None:
    spec = FEED_SPECS["ambulance_calls"]
    body = rows(spec, 4)
    _rewrite(spec, body, {DType.DATETIME: "%d/%m/%Y %H:%M"}, every=2)  # 2 of 4: half, but only two values
    delivery = read_delivery(spec, write_delivery(spec, tmp_path, body=body), OTHERS)
    assert delivery.rows_quarantined == 2


def test_event_dates_months_from_the_period_are_quarantined_and_said(tmp_path: Path) -> None:
    spec = FEED_SPECS["ed_attendances"]
    body = rows(spec, 40)
    arrival = spec.column_names.index("Arrival_Date")
    body[5][arrival] = "2023-07-14"  # six months before the 2024-01 delivery
    body[6][arrival] = "2023-11-02"  # two months before: late records happen, within the window
    delivery = read_delivery(spec, write_delivery(spec, tmp_path, body=body), OTHERS)
    assert delivery.rejected[["_source_row", "reason", "column"]].values.tolist() == [
        [7, "event_date_far_from_period", "Arrival_Date"]
    ]
    assert [a.code for a in delivery.alerts] == ["event_date_far_from_period"]
    assert "2023" not in delivery.alerts[0].message  # counts and columns, not values
    narrow = read_delivery(spec, write_delivery(spec, tmp_path, body=body), OTHERS, window_months=1)
    assert narrow.rows_quarantined == 2


def test_implausible_event_dates_keep_the_expectation_suites_reason(tmp_path: Path) -> None:
    spec = FEED_SPECS["ed_attendances"]
    body = rows(spec, 10)
    body[2][spec.column_names.index("Arrival_Date")] = "1900-01-05"
    delivery = read_delivery(spec, write_delivery(spec, tmp_path, body=body), OTHERS)
    assert delivery.rows_quarantined == 0  # the suite's event_date_out_of_range will quarantine it


def test_a_delivery_of_another_period_is_held_whole(tmp_path: Path) -> None:
    body = rows(POLICE, 20)  # dated January 2024
    path = write_delivery(POLICE, tmp_path, body=body, period="2024-07")
    with pytest.raises(DeliveryRejected) as err:
        read_delivery(POLICE, path, OTHERS)
    assert err.value.reason == "event_dates_outside_period"
    assert "OPENED_DT" in err.value.message and "2024-07" in err.value.message and err.value.rows == 20


def test_clean_deliveries_of_every_feed_are_not_held(tmp_path: Path) -> None:
    for spec in FEED_SPECS.values():
        delivery = read_delivery(spec, write_delivery(spec, tmp_path / spec.name, n=60), OTHERS)
        assert delivery.rows_quarantined == 0, spec.name


def test_format_seen_prefers_the_format_that_fits_every_value() -> None:
    profile = dates.DateProfile("D", DType.DATE, ("%d/%m/%Y",), is_event=False)
    for v in ("01/13/2024", "02/27/2024", "03/04/2024", "12/31/1999"):
        profile.add(v, None, None, far=False)
    assert dates.format_seen(profile, None, 3) == ("%m/%d/%Y", 4, 0)
    unknown = dates.DateProfile("D", DType.DATE, ("%d/%m/%Y",), is_event=False)
    for v in ("yesterday", "soon", "n/k"):
        unknown.add(v, None, None, far=False)
    assert dates.format_seen(unknown, None, 3) is None
    assert dates.months_from(date(2023, 11, 30), "2024-01") == -2
