"""Enrolment as services do it (staggered go-live, capacity, referral on recorded contacts) and settable effects."""

from __future__ import annotations

import argparse
import csv
import filecmp
import inspect
import json
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from pipelines.synth import cli, config, generate
from pipelines.synth.effects import EffectsError, load_effects
from pipelines.synth.enrolment import Enrolment, preferred_service, referral_probability
from pipelines.synth.population import ARMS, make_county, make_people, simulate_county
from tests.unit.synth.conftest import read_truth

OBSERVABLE = {"t", "recent", "age", "female", "imd_decile", "locality", "candidates", "episode", "u", "self"}


def _month(period: str) -> int:
    y, m = (int(x) for x in period.split("-"))
    return (y - 2024) * 12 + m - 1


def _rollout(root: Path) -> dict[tuple[str, str], str]:
    with (root / "landing" / "reference" / "programme_rollout.csv").open(newline="", encoding="utf-8") as f:
        return {(r["locality_code"], r["intervention"]): r["go_live_date"] for r in csv.DictReader(f)}


def _locality_at(person: dict[str, str], month: int) -> str:
    moved = person["moved_in"]
    return person["locality_code_after_move"] if moved and month >= _month(moved) else person["locality_code"]


def test_reference_files_name_localities_and_a_staggered_rollout(long_county: Path) -> None:
    ref = long_county / "landing" / "reference"
    with (ref / "lsoa_locality.csv").open(newline="", encoding="utf-8") as f:
        localities = {r["lsoa_code"]: r["locality_code"] for r in csv.DictReader(f)}
    with (ref / "lsoa_imd.csv").open(newline="", encoding="utf-8") as f:
        assert {r["lsoa_code"] for r in csv.DictReader(f)} == set(localities)
    codes = sorted(set(localities.values()))
    assert codes == [f"LOC{k + 1}" for k in range(config.N_LOCALITIES)]
    rollout = _rollout(long_county)
    assert len(rollout) == 3 * len(codes)
    team = [rollout[(c, "high_intensity_team")] for c in codes]
    live = sorted(date.fromisoformat(d) for d in team if d)
    assert len(live) == 4 and len(set(live)) == 4 and "" in team  # staggered, one locality never in the period
    first_enrolment = date(2024, config.ENROL_FIRST_MONTH + 1, 1)
    assert live[0] >= first_enrolment
    assert {rollout[(c, a)] for c in codes for a in ("street_triage", "usual_care")} == {first_enrolment.isoformat()}
    people = read_truth(long_county, "people.csv")
    assert {p["locality_code"] for p in people} == set(codes)
    assert all(p["locality_code"] == localities[p["lsoa_code"]] for p in people)


def test_no_team_step_up_before_its_locality_goes_live(long_county: Path) -> None:
    rollout = _rollout(long_county)
    team = 0
    for p in read_truth(long_county, "people.csv"):
        if p["intervention"] != "high_intensity_team":
            continue
        s = _month(p["stepped_up_in"])
        go_live = rollout[(_locality_at(p, s), "high_intensity_team")]
        assert go_live, p["person_id"]
        assert s >= _month(go_live[:7]), p["person_id"]
        team += 1
    assert team >= 10
    reasons = Counter(r["reason"] for r in read_truth(long_county, "enrolment.csv"))
    assert reasons["team_not_live"] > 0  # referrals to the team where it was not live yet


def test_comparison_pool_and_enrolment_below_threshold(long_county: Path) -> None:
    rows = read_truth(long_county, "enrolment.csv")
    eligible = {r["person_id"] for r in rows if r["eligible"] == "1"}
    enrolled = {r["person_id"] for r in rows if r["intervention"]}
    never = eligible - enrolled
    assert len(never) > 0.25 * len(eligible)  # many eligible people are never enrolled: the comparison pool
    below = [r for r in rows if r["intervention"] and r["eligible"] == "0"]
    assert below
    assert all(config.REFERRAL_BELOW_MIN <= int(r["recorded_contacts"]) < config.ENROL_THRESHOLD for r in below)
    later = defaultdict(list)
    for r in rows:
        later[r["person_id"]].append(r)
    # some people are referred only in a later month of their eligibility
    assert any(rs[0]["reason"] == "not_referred" and rs[-1]["intervention"] for rs in later.values())
    people = {p["person_id"]: p for p in read_truth(long_county, "people.csv")}
    for r in rows:
        if r["intervention"]:  # the step up is the month after the decision, in the intervention decided
            p = people[r["person_id"]]
            assert p["intervention"] == r["intervention"]
            assert _month(p["stepped_up_in"]) == int(r["month_index"]) + 1
    stepped = {pid for pid, p in people.items() if p["intervention"]}
    assert stepped == enrolled


def test_comparison_pool_has_questionnaires(long_county: Path) -> None:
    rows = read_truth(long_county, "enrolment.csv")
    never = {r["person_id"] for r in rows if r["eligible"] == "1"} - {r["person_id"] for r in rows if r["intervention"]}
    sets: dict[str, Counter] = defaultdict(Counter)
    for q in read_truth(long_county, "questionnaires.csv"):
        if q["person_id"] in never and q["timepoint_code"] == "ROUTINE":
            sets[q["person_id"]][q["assessment_date"]] += 1
    full = {pid for pid, dates in sets.items() if any(n == 5 for n in dates.values())}
    assert len(full) > 0.2 * len(never)  # a whole set of measures on one date: the crisis team's assessment
    assert any(sum(n == 5 for n in dates.values()) >= 2 for dates in sets.values())  # and a review set later


def test_referral_sees_recorded_contacts_and_observables_only(county) -> None:
    """The referral rules take recorded counts and attributes services hold, never latent need or the future."""
    for fn in (referral_probability, preferred_service, Enrolment.step):
        params = set(inspect.signature(fn).parameters)
        assert params <= OBSERVABLE, (fn.__name__, params - OBSERVABLE)
    root, _ = county
    per_month: dict[str, Counter] = defaultdict(Counter)
    crisis = {"police_incidents", "ambulance_calls", "ed_attendances", "mh_contacts", "council_contacts"}
    for r in read_truth(root, "records.csv"):
        if r["feed"] in crisis and "fault_copy" not in r["identity_errors"]:
            per_month[r["person_id"]][_month(r["event_at"][:7])] += 1
    rows = read_truth(root, "enrolment.csv")
    assert rows
    w = config.ENROL_WINDOW
    for r in rows:
        t = int(r["month_index"])
        recorded = sum(per_month[r["person_id"]][k] for k in range(t - w + 1, t + 1))
        assert int(r["recorded_contacts"]) == recorded, r["person_id"]
        assert (r["eligible"] == "1") == (recorded >= config.ENROL_THRESHOLD)


def test_referral_probability_rises_with_recorded_need_and_police_share_steers_to_triage() -> None:
    recent = np.array([[3, 2, 2, 1, 1], [6, 4, 4, 2, 2], [1, 1, 1, 1, 1], [0, 1, 2, 2, 2]])
    age, female, decile = np.full(4, 35), np.zeros(4, dtype=bool), np.full(4, 5)
    p = referral_probability(recent, age, female, decile)
    assert 0 < p[0] < p[1] < 1 and p[2] == 0 and p[3] == config.REFERRAL_BELOW_THRESHOLD
    police_heavy = np.tile([[9, 0, 1, 0, 0]], (4000, 1))
    no_police = np.tile([[0, 3, 3, 2, 2]], (4000, 1))
    u = np.random.default_rng(1).random(4000)
    triage = ARMS.index("street_triage")
    ages = np.full(4000, 35)
    assert (preferred_service(police_heavy, ages, u) == triage).mean() > 2 * (
        preferred_service(no_police, ages, u) == triage
    ).mean()


def test_capacity_is_never_exceeded(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a tiny team and triage service, full services turn referrals away; open episodes stay within capacity."""
    monkeypatch.setattr(config, "TEAM_CAPACITY_MIN", 2)
    monkeypatch.setattr(config, "TEAM_CAPACITY_PER_1000", 0.0)
    monkeypatch.setattr(config, "TRIAGE_CAPACITY_MIN", 2)
    monkeypatch.setattr(config, "TRIAGE_CAPACITY_PER_1000", 0.0)
    from pipelines.synth.enrolment import make_programme

    months, seed = 18, 5
    county = make_county(seed)
    chunks = [make_people(county, c, c * 2000, 2000, seed, date(2024, 1, 1), months) for c in range(2)]
    programme = make_programme(seed, months, 4000)
    enrolment = simulate_county(chunks, months, programme, load_effects(None))
    team_open = np.zeros((config.N_LOCALITIES, months), dtype=int)
    triage_open = np.zeros(months, dtype=int)
    for p in chunks:
        for i in np.flatnonzero(p.step_up_month >= 0):
            s, e, arm = int(p.step_up_month[i]), int(p.episode_months[i]), ARMS[int(p.arm[i])]
            if arm == "high_intensity_team":
                loc = int(p.locality[i, s])
                assert s >= programme.team_go_live[loc] >= 0
                team_open[loc, s : s + e] += 1
            elif arm == "street_triage":
                triage_open[s : s + e] += 1
    assert team_open.max() == programme.team_capacity == 2
    assert triage_open.max() == programme.triage_capacity == 2
    reasons = Counter(d.reason for d in enrolment.decisions)
    assert reasons["team_full"] > 0 and reasons["triage_full"] > 0


def _effects(root: Path) -> dict[tuple[str, str], dict[str, str]]:
    return {(e["intervention"], e["outcome"]): e for e in read_truth(root, "effects.csv")}


def test_effects_none_gives_no_effect_anywhere(tmp_path: Path) -> None:
    generate(tmp_path, people=1200, months=12, seed=2, effects="none")
    effects = _effects(tmp_path)
    assert len(effects) == 3 * 13
    for (arm, outcome), e in effects.items():
        if e["measure"] == "rate_ratio":
            assert float(e["true_effect"]) == 1.0, (arm, outcome)
        elif e["true_effect"]:
            assert float(e["true_effect"]) == 0.0, (arm, outcome)
    for row in read_truth(tmp_path, "area_effects.csv"):
        assert row["true_level_effect"] in ("", "0.0000", "-0.0000")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hfc")
    cli.register(parser.add_subparsers(dest="command"))
    return parser


def test_a_harm_file_shows_in_effects_csv(tmp_path: Path) -> None:
    harm = tmp_path / "harm.json"
    harm.write_text(json.dumps({"high_intensity_team": {"crisis_contacts": 1.2, "s136_detentions": 1.5}}))
    out = tmp_path / "county"
    args = _parser().parse_args(
        ["synth", "--people", "1500", "--months", "12", "--out", str(out), "--effects", str(harm)]
    )
    assert args.func(args) == 0
    effects = _effects(out)
    for outcome in ("crisis_contacts", "police_contacts", "council_contacts"):
        assert float(effects[("high_intensity_team", outcome)]["true_effect"]) == pytest.approx(1.2)
    assert float(effects[("high_intensity_team", "s136_detentions")]["true_effect"]) == pytest.approx(1.5)
    assert float(effects[("street_triage", "crisis_contacts")]["true_effect"]) == 1.0  # not in the file: none
    assert float(effects[("high_intensity_team", "reqol10_total")]["true_effect"] or 0) == 0.0


def test_default_effects_combine_agencies_into_crisis_contacts(long_county: Path) -> None:
    effects = _effects(long_county)
    for arm, set_ in config.DEFAULT_EFFECTS.items():
        ratios = [set_.get(o, 1.0) for o in ("police_contacts", "ambulance_contacts", "council_contacts")]
        ratios += [set_.get(o, 1.0) for o in ("emergency_department_contacts", "mental_health_trust_contacts")]
        for outcome in ("police_contacts", "ambulance_contacts", "council_contacts", "s136_detentions"):
            assert float(effects[(arm, outcome)]["true_effect"]) == pytest.approx(set_.get(outcome, 1.0), abs=1e-4)
        crisis = float(effects[(arm, "crisis_contacts")]["true_effect"])
        assert min(ratios) - 1e-4 <= crisis <= max(ratios) + 1e-4
        naive = float(effects[(arm, "crisis_contacts")]["naive_before_after"])
        assert naive < crisis - 0.2  # regression to the mean, under every arm
    area = [r for r in read_truth(long_county, "area_effects.csv") if r["outcome"] == "crisis_contacts"]
    assert len(area) == config.N_LOCALITIES
    assert all(float(r["true_level_effect"]) < 0 for r in area if r["go_live_date"])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"crisis_team": {"police_contacts": 0.9}}, "unknown intervention 'crisis_team'"),
        ({"street_triage": {"police": 0.9}}, "unknown outcome 'police'"),
        ({"street_triage": {"police_contacts": 0}}, "must be positive"),
        ({"street_triage": {"police_contacts": -1.5}}, "must be positive"),
        ({"street_triage": {"police_contacts": "0.9"}}, "must be a finite number"),
        ({"street_triage": {"reqol10_total": 2}}, "wellbeing_shift"),
        ([0.9], "must be a JSON object"),
    ],
)
def test_bad_effects_files_fail_clearly(tmp_path: Path, content: object, message: str) -> None:
    path = tmp_path / "effects.json"
    path.write_text(json.dumps(content))
    with pytest.raises(EffectsError, match=message):
        load_effects(path)


def test_bad_effects_on_the_command_line_exit_2_with_the_reason(tmp_path: Path, capsys) -> None:
    (tmp_path / "bad.json").write_text("{not json")
    for spec, message in ((tmp_path / "bad.json", "not valid JSON"), (tmp_path / "missing.json", "not found")):
        args = _parser().parse_args(["synth", "--people", "50", "--months", "2", "--out", str(tmp_path / "c")])
        args.effects = str(spec)
        assert args.func(args) == 2
        assert message in capsys.readouterr().err
    assert not (tmp_path / "c").exists()  # refused before anything was written


def test_same_bytes_across_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The county is simulated across chunks together (capacity is the county's): still one result per seed."""
    monkeypatch.setattr(config, "CHUNK_SIZE", 150)
    a, b = tmp_path / "a", tmp_path / "b"
    generate(a, people=400, months=8, seed=9)
    generate(b, people=400, months=8, seed=9)
    for name in ("people.csv", "enrolment.csv", "effects.csv", "area_effects.csv", "questionnaires.csv"):
        assert filecmp.cmp(a / "synth_truth" / name, b / "synth_truth" / name, shallow=False), name
    assert filecmp.cmp(
        a / "landing" / "reference" / "programme_rollout.csv", b / "landing" / "reference" / "programme_rollout.csv"
    )


def test_truth_readme_and_feeds_md_document_the_programme(long_county: Path) -> None:
    readme = (long_county / "synth_truth" / "README.md").read_text(encoding="utf-8")
    for name in sorted(p.name for p in (long_county / "synth_truth").glob("*.csv")):
        assert f"`{name}`" in readme, name
    from pipelines.synth.docs import render_feeds_md

    text = render_feeds_md()
    assert "lsoa_locality.csv" in text and "programme_rollout.csv" in text and "--effects" in text


def test_effects_change_only_treated_contacts_not_who_is_enrolled(tmp_path: Path) -> None:
    """Contacts are thinned from the untreated draw, so a county with and without effects has the same people,
    the same enrolment and the same contacts before step up: a clean pair for calibration."""
    a, b = tmp_path / "with", tmp_path / "none"
    generate(a, people=1500, months=12, seed=4)
    generate(b, people=1500, months=12, seed=4, effects="none")
    assert (a / "synth_truth" / "enrolment.csv").read_bytes() == (b / "synth_truth" / "enrolment.csv").read_bytes()
    pa = {p["person_id"]: p for p in read_truth(a, "people.csv")}
    pb = {p["person_id"]: p for p in read_truth(b, "people.csv")}
    assert {k: (p["intervention"], p["stepped_up_in"]) for k, p in pa.items()} == {
        k: (p["intervention"], p["stepped_up_in"]) for k, p in pb.items()
    }
    never = [k for k, p in pa.items() if not p["intervention"]]
    assert all(pa[k]["crisis_contacts"] == pb[k]["crisis_contacts"] for k in never)
    treated = [k for k, p in pa.items() if p["intervention"] == "high_intensity_team"]
    assert treated and any(pa[k]["crisis_contacts"] != pb[k]["crisis_contacts"] for k in treated)
