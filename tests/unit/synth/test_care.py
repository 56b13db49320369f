"""Crisis plans are facts about people, crisis care not provided is planted and listed, questionnaires are raw.

Checked against the generated files and their truth (synth_truth/crisis_plans.csv, crisis_care_gaps.csv,
questionnaires.csv), so the warehouse's rules can be measured against them.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from pipelines.feeds import FEED_SPECS
from pipelines.feeds.mh_outcome_measures import MEASURE_BY_CODE
from pipelines.synth import config, generate
from pipelines.synth.population import in_force
from pipelines.synth.scoring import format_score, score
from tests.unit.synth.conftest import read_feed, read_truth

GAP_FEEDS = ("ed_attendances", "ambulance_calls", "mh_contacts")


def _plans(root: Path) -> dict[str, dict[str, date | None]]:
    out = {}
    for row in read_truth(root, "crisis_plans.csv"):
        out[row["person_id"]] = {
            k: date.fromisoformat(row[k]) if row[k] else None for k in ("plan_start", "plan_end", "coproduced_from")
        }
    return out


def _plan_in_force(plans: dict[str, dict[str, date | None]], person: str, day: date) -> bool:
    plan = plans.get(person)
    return plan is not None and in_force(plan["plan_start"], plan["plan_end"], day)


def _is_gap(feed: str, row: dict[str, str]) -> bool:
    if feed == "ed_attendances":
        return row["EC_Discharge_Status"] in {"LBA", "LBT"}
    if feed == "ambulance_calls":
        return row["Outcome"] == "closed_without_assessment"
    return row["Contact_Type"] == "CRISIS_ASSESS" and row["Attendance"] == "CANC_TR"


@pytest.fixture(scope="module")
def truth(county):
    root, _ = county
    records = {(r["feed"], r["record_id"]): r for r in read_truth(root, "records.csv")}
    messy = defaultdict(set)
    for m in read_truth(root, "messiness.csv"):
        messy[(m["feed"], m["record_id"])].add(m["kind"])
    return root, records, _plans(root), messy


def test_crisis_plan_flag_follows_the_persons_plan_on_every_contact(truth) -> None:
    root, records, plans, messy = truth
    rows = read_feed(root, "mh_contacts")
    misrecorded = agree = with_plan = 0
    for row in rows:
        rec = records[("mh_contacts", row["Contact_ID"])]
        day = date.fromisoformat(rec["event_at"][:10])
        expected = _plan_in_force(plans, rec["person_id"], day)
        recorded = row["Crisis_Plan_Recorded"] == "Y"
        assert row["Crisis_Plan_Recorded"] in {"Y", "N"}
        if "crisis_plan_misrecorded" in messy[("mh_contacts", row["Contact_ID"])]:
            assert recorded != expected  # a listed recording error really contradicts the plan
            misrecorded += 1
            continue
        assert recorded == expected, (row["Contact_ID"], rec["person_id"])
        agree += 1
        with_plan += recorded
        if recorded:
            since = plans[rec["person_id"]]["coproduced_from"]
            assert row["Crisis_Plan_Coproduced"] == ("Y" if since is not None and since <= day else "N")
        else:
            assert row["Crisis_Plan_Coproduced"] == ""
    assert with_plan > 50 and agree - with_plan > 50  # both states occur
    rate = misrecorded / len(rows)
    assert 0.3 * config.CRISIS_PLAN["recording_error"] < rate < 2.5 * config.CRISIS_PLAN["recording_error"]


def test_crisis_plans_are_one_interval_per_person(truth) -> None:
    root, _, plans, _ = truth
    people = {p["person_id"]: p for p in read_truth(root, "people.csv")}
    origins = {r["person_id"]: r["origin"] for r in read_truth(root, "crisis_plans.csv")}
    assert len(origins) == len(read_truth(root, "crisis_plans.csv"))  # at most one plan per person
    assert set(origins.values()) <= {"before_period", "mh_trust", "high_intensity_team"}
    for person, plan in plans.items():
        assert plan["plan_end"] is None or plan["plan_end"] > plan["plan_start"]
        if plan["coproduced_from"] is not None:
            assert plan["coproduced_from"] >= plan["plan_start"]
        if origins[person] == "before_period":
            assert plan["plan_start"] < date(2024, 1, 1)
    assert {p["intervention"] for p in people.values() if p["stepped_up_in"]} <= set(config.DEFAULT_EFFECTS)


def test_hit_clients_mostly_get_a_plan_at_step_up(long_county: Path) -> None:
    """On the longer county: enrolment is selective and capacity-limited, so the small one has few team clients."""
    plans = _plans(long_county)
    people = {p["person_id"]: p for p in read_truth(long_county, "people.csv")}
    hit = [p for p in people.values() if p["intervention"] == "high_intensity_team"]
    assert len(hit) >= 10
    covered = 0
    for p in hit:
        plan = plans.get(p["person_id"])
        # the step-up date is in the caseload feed; the month is enough here: a HIT plan starts in it
        if plan is not None and plan["plan_start"].strftime("%Y-%m") <= p["stepped_up_in"] and plan["plan_end"] is None:
            covered += 1
    assert covered / len(hit) > 0.75


def test_every_crisis_care_gap_is_in_the_landing_files_with_its_code(truth) -> None:
    root, records, plans, messy = truth
    gaps = {(g["feed"], g["record_id"]): g for g in read_truth(root, "crisis_care_gaps.csv")}
    assert {g["feed"] for g in gaps.values()} == set(GAP_FEEDS)
    found = set()
    for feed in GAP_FEEDS:
        spec = FEED_SPECS[feed]
        for row in read_feed(root, feed):
            key = (feed, row[spec.record_id])
            gap = gaps.get(key)
            if gap is not None:
                found.add(key)
                assert row[gap["column"]] == gap["code"]
                rec = records[key]
                assert gap["person_id"] == rec["person_id"]
                day = date.fromisoformat(rec["event_at"][:10])
                assert gap["plan_in_force"] == str(int(_plan_in_force(plans, rec["person_id"], day)))
                if "unknown_code" not in messy[key] and "missing_required" not in messy[key]:
                    assert _is_gap(feed, row)
            elif not messy[key]:
                assert not _is_gap(feed, row), key  # every such contact in the files is listed
    assert found == set(gaps)
    assert {g["plan_in_force"] for g in gaps.values()} == {"0", "1"}


@pytest.fixture(scope="module")
def long_county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("care_county")
    generate(root, people=8000, months=24, seed=23)
    return root


def test_care_gaps_happen_at_the_documented_rates_more_often_under_a_plan(long_county: Path) -> None:
    root = long_county
    records = {(r["feed"], r["record_id"]): r for r in read_truth(root, "records.csv")}
    plans = _plans(root)
    gaps = {(g["feed"], g["record_id"]) for g in read_truth(root, "crisis_care_gaps.csv")}
    for feed in GAP_FEEDS:
        spec = FEED_SPECS[feed]
        counts = {False: [0, 0], True: [0, 0]}  # plan in force -> [contacts, gaps]
        seen = set()
        for row in read_feed(root, feed):
            key = (feed, row[spec.record_id])
            if key in seen or (feed == "mh_contacts" and row["Contact_Type"] != "CRISIS_ASSESS"):
                continue
            seen.add(key)
            rec = records[key]
            plan = _plan_in_force(plans, rec["person_id"], date.fromisoformat(rec["event_at"][:10]))
            counts[plan][0] += 1
            counts[plan][1] += key in gaps
        for plan, expected in zip((False, True), config.CRISIS_CARE_GAP[feed], strict=True):
            n, k = counts[plan]
            assert n > 150, (feed, plan, n)
            assert abs(k / n - expected) < 3.5 * (expected * (1 - expected) / n) ** 0.5 + 0.005, (feed, plan, k / n)


def test_questionnaire_truth_is_the_published_score_of_the_landing_responses(truth) -> None:
    root, _, _, messy = truth
    items: dict[str, dict[int, str]] = defaultdict(dict)
    damaged = set()
    for row in read_feed(root, "mh_outcome_measures"):
        if messy[("mh_outcome_measures", row["Response_ID"])]:
            damaged.add(row["Assessment_ID"])
        if row["Item_No"]:
            items[row["Assessment_ID"]][int(row["Item_No"])] = row["Item_Response"]
    checked = 0
    by_measure = defaultdict(int)
    for q in read_truth(root, "questionnaires.csv"):
        a = q["assessment_id"]
        if a in damaged or a not in items:
            continue
        m = MEASURE_BY_CODE[q["measure_code"]]
        if set(items[a]) != set(range(1, m.items + 1)):
            damaged.add(a)  # a row of it lost its Assessment_ID to planted messiness
            continue
        responses = [int(items[a][k]) if items[a][k] else None for k in range(1, m.items + 1)]
        result = score(m.code, responses)
        assert q["total_score"] == format_score(result.total)
        assert q["secondary_score"] == format_score(result.secondary)
        assert int(q["items_answered"]) == result.items_answered
        for r in responses:
            assert r is None or m.low <= r <= m.high or r == m.not_known
        if m.code == "HONOS":
            assert None not in responses  # a clinician's rating: 9, never blank
        checked += 1
        by_measure[m.code] += 1
    assert checked > 150  # selective enrolment: fewer programme questionnaires than when everyone was stepped up
    assert len(damaged) < 0.2 * checked
    assert set(by_measure) == set(MEASURE_BY_CODE)


def test_items_point_the_way_their_wording_does(long_county: Path) -> None:
    """A person doing well ticks high on positively worded items and low on the others (on the longer county:
    selective enrolment leaves the small one few forms of each measure)."""
    forms: dict[str, dict[int, int]] = defaultdict(dict)
    measure_of: dict[str, str] = {}
    for row in read_feed(long_county, "mh_outcome_measures", months=24):
        if row["Item_No"] and row["Item_Response"] and row["Item_Response"] != "9":
            forms[row["Assessment_ID"]][int(row["Item_No"])] = int(row["Item_Response"])
            measure_of[row["Assessment_ID"]] = row["Measure"]

    def corr(measure: str, a: int, b: int) -> float:
        pairs = [(f[a], f[b]) for k, f in forms.items() if measure_of[k] == measure and a in f and b in f]
        return statistics.correlation([x for x, _ in pairs], [y for _, y in pairs])

    assert corr("CORE10", 1, 2) < -0.2 and corr("CORE10", 2, 3) > 0.2 and corr("CORE10", 1, 4) > 0.2
    assert corr("REQOL10", 1, 2) < -0.2 and corr("REQOL10", 1, 3) > 0.2 and corr("REQOL10", 2, 4) > 0.2
    assert corr("REQOL10", 2, 11) < 0  # physical health problems: higher is worse
    # DIALOG items carry more noise than signal (about 0.2 on the demo county): the sign is what matters
    assert corr("SWEMWBS", 1, 7) > 0.2 and corr("DIALOG", 1, 8) > 0.1 and corr("HONOS", 1, 7) > 0.1
