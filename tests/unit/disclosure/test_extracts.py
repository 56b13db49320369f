"""Person-level extracts: k and l measured as by hand, generalised until k >= min_k, re-keyed, and refused below it."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines import settings
from pipelines.cli import main as hfc
from pipelines.disclosure.extracts import (
    EXTRACT_COLUMNS,
    EXTRACT_KEY,
    QUASI_IDENTIFIERS,
    SUPPRESSED,
    Extract,
    ExtractRiskError,
    build_extract,
    extract_from_people,
    measure_k,
    measure_l,
    read_people,
    write_extract,
)

DEMO_WAREHOUSE = Path("/work/main/warehouse/outcomes.duckdb")
AGES = ["16-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+", "not recorded"]
ETHNICITIES = ["White", "Asian or Asian British", "Mixed or Multiple", "Other ethnic group", "Not known"]


def _people(n: int, seed: int = 7) -> pd.DataFrame:
    rng = random.Random(seed)
    return pd.DataFrame(
        {
            "person_key": [f"p{i:05d}" for i in range(n)],
            "age_band": [rng.choice(AGES) for _ in range(n)],
            "sex": [rng.choice(["F", "M", "not recorded"]) for _ in range(n)],
            "ethnicity_group": [rng.choices(ETHNICITIES, weights=[8, 2, 1, 1, 6])[0] for _ in range(n)],
            "imd": [f"decile {rng.randint(1, 10)}" for _ in range(n)],
            "had_self_harm_presentation": [rng.random() < 0.3 for _ in range(n)],
            "contacts": [rng.randint(1, 40) for _ in range(n)],
        }
    )


def _smallest_class(frame: pd.DataFrame) -> int:
    return int(frame.groupby(list(QUASI_IDENTIFIERS)).size().min())


def test_k_and_l_are_measured_as_by_hand() -> None:
    rows = [("25-34", "F", "White", "decile 1", s) for s in (True, False, False)]  # a class of 3, l = 2
    rows += [("25-34", "M", "White", "decile 1", s) for s in (True, True)]  # a class of 2, l = 1
    rows += [("35-44", "M", "Not known", "decile 9", s) for s in (False, True, False, True)]  # 4, l = 2
    frame = pd.DataFrame(rows, columns=[*QUASI_IDENTIFIERS, "had_self_harm_presentation"]).sample(
        frac=1, random_state=1
    )
    frame.index = [10, 3, 7, 1, 8, 2, 9, 4, 6]  # pycanon needs positional labels: measure_k must not depend on them
    assert measure_k(frame, QUASI_IDENTIFIERS) == 2
    assert measure_l(frame, QUASI_IDENTIFIERS, "had_self_harm_presentation") == 1
    assert measure_k(frame, ["age_band"]) == 4


def test_generalisation_reaches_k_5_and_keeps_what_it_can() -> None:
    people = _people(400)
    assert measure_k(people, QUASI_IDENTIFIERS) < 5
    extract = extract_from_people(people, min_k=5, salt=b"s" * 32)
    assert measure_k(extract.frame, QUASI_IDENTIFIERS) >= 5
    assert _smallest_class(extract.frame) >= 5
    assert len(extract.frame) == len(people)
    report = extract.report
    assert report.meets_min_k and report.steps and report.levels.keys() == set(QUASI_IDENTIFIERS)
    assert report.k_before == "below 5"
    # not everything was thrown away: some quasi-identifier is still released above the suppressed level
    assert any(level != "suppressed" for level in report.levels.values())
    suppressed = (extract.frame[list(QUASI_IDENTIFIERS)] == SUPPRESSED).all(axis=1)
    assert suppressed.sum() == 0 or suppressed.sum() >= 5


def test_a_stricter_min_k_is_met() -> None:
    extract = extract_from_people(_people(400), min_k=12)
    assert measure_k(extract.frame, QUASI_IDENTIFIERS) >= 12
    assert extract.report.k_after == measure_k(extract.frame, QUASI_IDENTIFIERS)


@pytest.mark.parametrize("value", ["4", "0", "off", "-5", "five"])
def test_a_weaker_or_meaningless_min_k_setting_is_refused(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HFC_EXTRACT_MIN_K", value)
    with pytest.raises(ValueError, match="HFC_EXTRACT_MIN_K"):
        settings.extract_min_k()


def test_min_k_defaults_to_5_and_can_be_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HFC_EXTRACT_MIN_K", raising=False)
    assert settings.extract_min_k() == 5
    monkeypatch.setenv("HFC_EXTRACT_MIN_K", "11")
    assert settings.extract_min_k() == 11
    with pytest.raises(ValueError, match="min_k"):
        extract_from_people(_people(50), min_k=3)


def test_person_keys_are_new_per_extract_and_join_only_under_the_same_salt() -> None:
    people = _people(120)
    first = extract_from_people(people, min_k=5)
    second = extract_from_people(people, min_k=5)
    assert not set(first.frame[EXTRACT_KEY]) & set(people["person_key"])
    assert not set(first.frame[EXTRACT_KEY]) & set(second.frame[EXTRACT_KEY])
    salted = [extract_from_people(people, min_k=5, salt=b"k" * 32).frame for _ in range(2)]
    assert set(salted[0][EXTRACT_KEY]) == set(salted[1][EXTRACT_KEY])
    assert first.frame[EXTRACT_KEY].is_unique and first.frame[EXTRACT_KEY].is_monotonic_increasing


def test_no_identifiable_or_linking_column_is_in_the_extract() -> None:
    frame = extract_from_people(_people(120), min_k=5).frame
    assert set(frame.columns) <= set(EXTRACT_COLUMNS)
    assert "person_key" not in frame.columns
    assert [c for c in frame.columns if c.endswith("_key")] == [EXTRACT_KEY]
    assert not [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]


def test_the_report_never_prints_a_small_count() -> None:
    extract = extract_from_people(_people(400), min_k=5)
    report = json.loads(extract.report.to_json())
    for name in ("k_before", "classes_before", "k_after", "classes_after", "rows_suppressed"):
        value = report[name]
        assert isinstance(value, str) or value == 0 or value > 7, name
    assert report["k_before"] == "below 5"
    assert all(
        isinstance(s["rows_at_risk_after"], str)
        or s["rows_at_risk_after"] in range(0, 1)
        or s["rows_at_risk_after"] > 7
        for s in report["steps"]
    )


def test_an_extract_below_min_k_is_not_written(tmp_path: Path) -> None:
    extract = extract_from_people(_people(120), min_k=5)
    tampered = Extract(
        pd.concat([extract.frame, _people(1).rename(columns={"person_key": EXTRACT_KEY})]), extract.report
    )
    with pytest.raises(ExtractRiskError, match="k = 5"):
        write_extract(tampered, tmp_path / "out", tmp_path / "reports")
    assert not (tmp_path / "out").exists()
    with pytest.raises(ExtractRiskError):
        extract_from_people(_people(4), min_k=5)


def _tiny_warehouse(path: Path, people: pd.DataFrame) -> None:
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    dim = people.assign(
        age_band_at_first_contact=people["age_band"].replace("not recorded", None),
        sex=people["sex"].replace("not recorded", None),
        imd_decile=people["imd"].str.removeprefix("decile ").astype(int),
        crisis_contacts=1,
        mental_health_contacts=1,
        agencies_known=2,
    )[
        [
            "person_key",
            "age_band_at_first_contact",
            "sex",
            "ethnicity_group",
            "imd_decile",
            "contacts",
            "crisis_contacts",
            "mental_health_contacts",
            "agencies_known",
        ]
    ]
    con.register("dim", dim)
    con.execute("create table marts.dim_person as select * from dim")
    con.execute(
        "create table marts.fct_intervention_episodes as select 'e' || person_key as intervention_episode_key, "
        "person_key, 'high_intensity_team' as intervention_code, 'ED' as referral_route_code, true as is_stepped_up, "
        "true as is_managed, false as is_stepped_down, null::varchar as step_down_reason_code, true as is_open, "
        "date '2024-07-10' as episode_start_on from dim where contacts > 20"
    )
    con.execute(
        "create table marts.fct_person_months as select person_key, (date '2024-01-01' + to_months(m))::date "
        "as month_start, 2::bigint as contacts from dim, range(12) as r(m)"
    )
    con.execute(
        "create table marts.fct_safety_events as select person_key, 'self_harm_presentation' as event_type "
        "from dim where contacts % 3 = 0"
    )
    con.execute(
        "create table marts.fct_clinical_change as select person_key, 'improved' as reliable_change "
        "from marts.fct_intervention_episodes"
    )
    con.close()


def test_hfc_extract_writes_the_extract_and_its_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    people = _people(300)
    _tiny_warehouse(tmp_path / "w.duckdb", people)
    monkeypatch.setenv("HFC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HFC_WAREHOUSE_PATH", str(tmp_path / "w.duckdb"))
    monkeypatch.delenv("HFC_EXTRACT_MIN_K", raising=False)
    assert hfc(["extract", "--out", str(tmp_path / "out")]) == 0
    frame = pd.read_parquet(tmp_path / "out" / "person_extract.parquet")
    assert len(frame) == 300 and measure_k(frame, QUASI_IDENTIFIERS) >= 5
    assert frame["contacts_6m_before_episode"].dropna().eq(12).all()  # 6 months of 2 contacts before July
    report = json.loads((tmp_path / "data" / "reports" / "extract_risk.json").read_text())
    assert report["min_k"] == 5 and report["meets_min_k"]
    assert (tmp_path / "data" / "reports" / "extract_risk.md").read_text().startswith("# Person-level extract")
    monkeypatch.setenv("HFC_EXTRACT_MIN_K", "4")
    assert hfc(["extract", "--out", str(tmp_path / "refused")]) == 2
    assert not (tmp_path / "refused").exists()


@pytest.mark.slow
@pytest.mark.skipif(not DEMO_WAREHOUSE.exists(), reason="no built demo warehouse")
def test_the_demo_warehouse_extract_is_5_anonymous(tmp_path: Path) -> None:
    copy = tmp_path / "outcomes.duckdb"
    shutil.copyfile(DEMO_WAREHOUSE, copy)
    con = duckdb.connect(str(copy), read_only=True)
    people = read_people(con)
    extract = build_extract(con, min_k=5)
    con.close()
    assert len(extract.frame) == len(people)
    assert measure_k(extract.frame, QUASI_IDENTIFIERS) >= 5
    assert not set(extract.frame[EXTRACT_KEY]) & set(people["person_key"])
    report = extract.report
    assert report.meets_min_k and report.l_after >= 1
