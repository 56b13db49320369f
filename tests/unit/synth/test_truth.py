"""The claims the issue makes about the county, checked against its ground truth."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime
from types import MappingProxyType

import pytest

from pipelines.feeds import FEED_SPECS
from pipelines.feeds.mh_outcome_measures import MEASURE_BY_CODE, MEASURE_ITEMS
from pipelines.synth import config, generate
from pipelines.synth.identifiers import is_valid_nhs_number
from pipelines.synth.names import NICKNAMES
from pipelines.synth.population import ETHNICITIES
from tests.unit.synth.conftest import MONTHS, read_feed, read_truth

NHS_COLUMNS = {
    feed: spec.person_columns()["nhs_number"]
    for feed, spec in FEED_SPECS.items()
    if "nhs_number" in spec.person_columns()
}


@pytest.fixture(scope="module")
def truth(county):
    root, _ = county
    people = {p["person_id"]: p for p in read_truth(root, "people.csv")}
    records = {(r["feed"], r["record_id"]): r for r in read_truth(root, "records.csv")}
    return root, people, records


def test_population_attributes(truth) -> None:
    _, people, _ = truth
    groups = Counter(p["ethnicity_group"] for p in people.values())
    details = {p["ethnicity_detail"] for p in people.values()}
    assert set(groups) == {e[0] for e in ETHNICITIES}  # the five ONS 2021 high-level groups
    assert len(details) >= 15  # of the 19 detailed groups; the rarest may not appear in 1,500 people
    assert 0.6 < groups["White"] / len(people) < 0.95
    ages = [int(p["age_at_start"]) for p in people.values()]
    assert min(ages) >= 16 and max(ages) <= 95
    assert 0.15 < sum(p["has_disability"] == "1" for p in people.values()) / len(people) < 0.33
    assert 0.04 < sum(p["is_neurodivergent"] == "1" for p in people.values()) / len(people) < 0.15
    assert {p["sex"] for p in people.values()} == {"M", "F"}
    # need is higher in more deprived areas (decile 1 = most deprived)
    low = [float(p["log_need"]) for p in people.values() if int(p["imd_decile"]) <= 3]
    high = [float(p["log_need"]) for p in people.values() if int(p["imd_decile"]) >= 8]
    assert sum(low) / len(low) > sum(high) / len(high)


def test_heavy_tail_of_police_mental_health_incidents(truth) -> None:
    """About 9% of the people behind MH-related police incidents account for a third or more of them."""
    _, _, records = truth
    per_person = Counter(
        r["person_id"]
        for r in records.values()
        if r["feed"] == "police_incidents" and r["is_mental_health_related"] == "1"
    )
    counts = sorted(per_person.values(), reverse=True)
    top = round(0.09 * len(counts))
    share = sum(counts[:top]) / sum(counts)
    assert share >= 1 / 3, share
    assert share < 0.8, share  # heavy-tailed, not degenerate


def test_police_mental_health_tagging_is_inconsistent_at_documented_rates(truth) -> None:
    root, _, records = truth
    by_truth: dict[str, Counter] = defaultdict(Counter)
    for row in read_feed(root, "police_incidents"):
        real = records[("police_incidents", row["INCIDENT_REF"])]["is_mental_health_related"]
        by_truth[real][row["MH_FLAG"]] += 1
    for real, expected in (("1", config.MH_FLAG_GIVEN_MH), ("0", config.MH_FLAG_GIVEN_NOT_MH)):
        total = sum(by_truth[real].values())
        assert total > 100
        for flag, rate in expected.items():
            assert abs(by_truth[real][flag] / total - rate) < 0.06, (real, flag)
    tagged_mh = by_truth["1"]["Y"] / sum(by_truth["1"].values())
    assert tagged_mh < 0.75  # many MH incidents are not tagged


def test_nhs_numbers_present_at_documented_rates_and_valid(truth) -> None:
    root, people, records = truth
    assert len({p["nhs_number"] for p in people.values()}) == len(people)
    assert all(is_valid_nhs_number(p["nhs_number"]) for p in people.values())
    present_rate = {}
    invalid = valid = 0
    for feed, col in NHS_COLUMNS.items():
        rows = read_feed(root, feed)
        if feed == "council_contacts":
            rows = [r for r in rows if r["Service"] == "ASC"]
        values = [r[col] for r in rows]
        present_rate[feed] = sum(bool(v) for v in values) / len(values)
        for row in rows:
            if not row[col]:
                continue
            true = people[records[(feed, row[FEED_SPECS[feed].record_id])]["person_id"]]["nhs_number"]
            digits = row[col].replace(" ", "").replace("-", "")
            if digits == true:
                valid += 1
            else:
                assert not is_valid_nhs_number(digits)  # a mistyped number always fails the check digit
                invalid += 1
    for feed, rate in present_rate.items():
        assert abs(rate - config.NHS_NUMBER_PRESENT[feed]) < 0.08, feed
    assert present_rate["police_incidents"] < 0.2
    assert present_rate["ambulance_calls"] > 0.7 and present_rate["ed_attendances"] > 0.8
    assert invalid / (valid + invalid) < 4 * config.NHS_NUMBER_INVALID + 0.002


def _parse(value: str, fmt: str) -> date | None:
    return datetime.strptime(value, fmt).date() if value else None


def test_identifier_errors_against_truth(truth) -> None:
    """Recorded names and dates of birth differ from the truth at the documented rates, in the documented ways."""
    root, people, records = truth
    rows = read_feed(root, "ed_attendances") + read_feed(root, "mh_contacts")
    kinds: Counter = Counter()
    for row in rows:
        feed = "ed_attendances" if "EC_Ident" in row else "mh_contacts"
        spec = FEED_SPECS[feed]
        cols = spec.person_columns()
        rec = records[(feed, row[spec.record_id])]
        person = people[rec["person_id"]]
        errors = set(filter(None, rec["identity_errors"].split(";")))
        given, family = row[cols["given_name"]], row[cols["family_name"]]
        dob = _parse(row[cols["date_of_birth"]], spec.date_formats[0])
        true_dob = date.fromisoformat(person["date_of_birth"])
        if "swapped_names" in errors:
            kinds["swapped"] += 1
            assert person["family_name"] in (given, family) or "name_typo" in errors
        elif not errors & {"name_typo", "nickname"}:
            assert (given, family) == (person["given_name"], person["family_name"])
        if "nickname" in errors:
            kinds["nickname"] += 1
            assert given in NICKNAMES[person["given_name"]] or "name_typo" in errors or "swapped_names" in errors
        if "name_typo" in errors:
            kinds["typo"] += 1
        if "dob_missing" in errors:
            kinds["dob_missing"] += 1
            assert dob is None
        elif "dob_day_month_swapped" in errors:
            kinds["dob_swapped"] += 1
            assert dob == true_dob.replace(day=true_dob.month, month=true_dob.day)
        else:
            assert dob == true_dob
    n = len(rows)
    rates = config.IDENTIFIER_ERRORS
    assert abs(kinds["typo"] / n - rates["name_typo"]) < 0.02
    assert abs(kinds["swapped"] / n - rates["swapped_names"]) < 0.015
    assert abs(kinds["dob_missing"] / n - rates["dob_missing"]) < 0.02
    assert 0 < kinds["dob_swapped"] / n < rates["dob_day_month_swapped"]  # only possible when day <= 12
    has_nick = sum(
        1
        for row in rows
        if people[
            records[("ed_attendances", row["EC_Ident"]) if "EC_Ident" in row else ("mh_contacts", row["Contact_ID"])][
                "person_id"
            ]
        ]["given_name"]
        in NICKNAMES
    )
    assert abs(kinds["nickname"] / has_nick - rates["nickname"]) < 0.04


def test_moves_leave_stale_addresses(truth) -> None:
    root, people, records = truth
    stale = fresh = 0
    for feed in ("police_incidents", "ambulance_calls", "council_contacts"):
        spec = FEED_SPECS[feed]
        col = spec.person_columns()["address"]
        for row in read_feed(root, feed):
            rec = records[(feed, row[spec.record_id])]
            person = people[rec["person_id"]]
            if not person["moved_in"] or rec["event_at"][:7] < person["moved_in"]:
                continue
            held = row[col].lower()
            if held == person["address"].lower() and person["address"] != person["address_after_move"]:
                stale += 1
            elif held == person["address_after_move"].lower():
                fresh += 1
    assert stale + fresh > 60
    assert abs(stale / (stale + fresh) - config.IDENTIFIER_ERRORS["stale_address"]) < 0.12


def test_regression_to_the_mean_makes_the_naive_drop_larger_than_the_true_effect(truth) -> None:
    """From the truth alone: people stepped up at a peak have fewer contacts afterwards, even under usual care."""
    root, people, records = truth
    crisis = {"police_incidents", "ambulance_calls", "ed_attendances", "mh_contacts", "council_contacts"}
    per_month: dict[str, Counter] = defaultdict(Counter)
    for r in records.values():
        if r["feed"] in crisis:
            per_month[r["person_id"]][r["event_at"][:7]] += 1
    effects = {(e["intervention"], e["outcome"]): e for e in read_truth(root, "effects.csv")}

    def month_add(period: str, k: int) -> str:
        y, m = (int(x) for x in period.split("-"))
        m0 = y * 12 + m - 1 + k
        return f"{m0 // 12:04d}-{m0 % 12 + 1:02d}"

    w = config.ENROL_WINDOW
    last = month_add("2024-01", MONTHS - 1)
    for arm in ("high_intensity_team", "usual_care"):
        before = after = 0
        for pid, p in people.items():
            s = p["stepped_up_in"]
            if p["intervention"] != arm or not s or month_add(s, -w) < "2024-01" or month_add(s, w) > last:
                continue
            before += sum(per_month[pid][month_add(s, -k)] for k in range(1, w + 1))
            after += sum(per_month[pid][month_add(s, k)] for k in range(1, w + 1))
        assert before > 0
        naive_ratio = after / before
        true_ratio = float(effects[(arm, "crisis_contacts")]["true_effect"])
        assert naive_ratio < true_ratio - 0.2, (arm, naive_ratio, true_ratio)  # naive drop far bigger than the truth
        assert abs(naive_ratio - float(effects[(arm, "crisis_contacts")]["naive_before_after"])) < 0.05
    assert float(effects[("usual_care", "crisis_contacts")]["true_effect"]) == 1.0
    assert float(effects[("high_intensity_team", "crisis_contacts")]["true_effect"]) < 1.0


def test_questionnaires_are_item_level_with_dates(truth) -> None:
    root, _, _ = truth
    messy = {m["record_id"] for m in read_truth(root, "messiness.csv") if m["feed"] == "mh_outcome_measures"}
    items: dict[str, dict[str, dict[str, str]]] = defaultdict(dict)
    for row in read_feed(root, "mh_outcome_measures"):
        items[row["Assessment_ID"]][row["Response_ID"]] = row
    timepoints = Counter()
    skipped = 0
    for by_id in items.values():
        first = min(int(rid[1:]) for rid in by_id)
        neighbours = {f"R{k:09d}" for k in range(first - 1, first + len(by_id) + 1)}  # a row moved by a blank id
        if messy & (set(by_id) | neighbours):
            skipped += 1  # planted messiness (duplicates, blanks, unknown codes) is tested elsewhere
            continue
        rows = list(by_id.values())
        measure = rows[0]["Measure"]
        n_items, low, high = MEASURE_ITEMS[measure]
        numbers = sorted(int(r["Item_No"]) for r in rows)
        assert numbers == list(range(1, n_items + 1))
        not_known = MEASURE_BY_CODE[measure].not_known
        for r in rows:
            if r["Item_Response"]:
                position = int(r["Item_Response"])
                assert low <= position <= high or position == not_known, (measure, position)
        assert len({r["Assessment_Date"] for r in rows}) == 1
        timepoints[rows[0]["Timepoint"]] += 1
    assert timepoints["BASELINE"] and timepoints["FOLLOWUP"] and timepoints["ROUTINE"]
    assert skipped < 0.25 * len(items)


def test_questionnaire_naive_change_exceeds_true_effect(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scores at step up are taken at a low point, so follow-up looks better even under usual care.

    Needs follow-ups after whole episodes and enough of them: a longer county (3,000 people x 24 months) where
    nearly everyone eligible is referred and no service is full, as if everyone at a peak were stepped up.
    """
    monkeypatch.setattr(config, "REFERRAL", MappingProxyType(dict(config.REFERRAL, intercept=3.0)))
    monkeypatch.setattr(config, "TEAM_CAPACITY_MIN", 1000)
    monkeypatch.setattr(config, "TRIAGE_CAPACITY_MIN", 1000)
    monkeypatch.setattr(config, "FALLBACK_TO_USUAL_CARE", 1.0)
    root = tmp_path_factory.mktemp("open_county")
    generate(root, people=3000, months=24, seed=11)
    effects = {(e["intervention"], e["outcome"]): e for e in read_truth(root, "effects.csv")}
    hit = effects[("high_intensity_team", "reqol10_total")]
    assert 0 < float(hit["true_effect"]) < float(hit["naive_before_after"])
    core = effects[("high_intensity_team", "core10_total")]
    assert float(core["naive_before_after"]) < float(core["true_effect"]) < 0
    assert float(effects[("usual_care", "swemwbs_total")]["true_effect"]) == 0.0
    assert float(effects[("usual_care", "swemwbs_total")]["naive_before_after"]) > 0  # regression to the mean


def test_programme_caseload_steps(truth) -> None:
    root, people, records = truth
    messy = {m["record_id"] for m in read_truth(root, "messiness.csv") if m["feed"] == "programme_caseload"}
    episodes: dict[str, dict[str, dict[str, str]]] = defaultdict(dict)
    for row in read_feed(root, "programme_caseload"):
        episodes[row["Episode_ID"]][row["Event_ID"]] = row  # planted duplicate rows collapse here
    stepped = {p["person_id"] for p in people.values() if p["intervention"]}
    assert abs(len(episodes) - len(stepped)) <= len(messy)  # a blanked Episode_ID may add one
    for by_id in episodes.values():
        rows = [r for rid, r in by_id.items() if rid not in messy]
        if not rows:
            continue
        kinds = [r["Event_Type"] for r in sorted(rows, key=lambda r: (r["Event_Date"], r["Event_ID"]))]
        if kinds[0] == "STEP_UP":
            assert kinds.count("STEP_UP") == 1
            assert kinds.count("STEP_DOWN") <= 1
        persons = {records[("programme_caseload", r["Event_ID"])]["person_id"] for r in rows}
        assert len(persons) == 1
    interventions = Counter(p["intervention"] for p in people.values() if p["intervention"])
    assert set(interventions) == {"high_intensity_team", "street_triage", "usual_care"}
