"""What people and agencies say in the county: feedback themes, mental-health signals in narratives, equality data.

Each planted behaviour is checked against its truth (synth_truth/feedback_themes.csv, mh_signals.csv, mh_text.csv,
people.csv) and against the rates in ``pipelines.synth.config``. Rates are compared within four binomial standard
errors (plus a small floor), so the checks hold on any seed and county size, not just the default one.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from pipelines.feeds import FEED_SPECS
from pipelines.feeds.council_contacts import ETHNICITY_CODES, ETHNICITY_ONS_GROUP, PRIMARY_SUPPORT_REASONS
from pipelines.feeds.ed_attendances import ETHNIC_CATEGORIES
from pipelines.synth import config, generate
from pipelines.synth.narratives import (
    CONTEXT,
    FEEDBACK_DECOYS,
    FEEDBACK_IDENT,
    FEEDBACK_PLAIN,
    FEEDBACK_THEMES,
    MH_CUE_CONTEXTS,
    MH_TEXT,
    POOLS,
    THEME_DESCRIPTIONS,
)
from pipelines.synth.population import ETHNICITIES
from pipelines.synth.records import COUNCIL_ETHNIC_CODES, NHS_ETHNIC_CODES, feedback_themes, mh_code_signal
from tests.unit.synth.conftest import read_feed, read_truth

THEMES = (
    "waiting",
    "kindness_and_respect",
    "dismissed_or_judged",
    "listened_to_and_involved",
    "access_in_crisis",
    "continuity",
    "police_and_restraint",
    "follow_up",
    "environment",
    "practical_help",
)
NARRATIVE = {
    "police_incidents": "LOG_NARRATIVE",
    "ambulance_calls": "ClinicalNotes",
    "ed_attendances": "Clinical_Notes",
}
# Words a generous mental-health term list would match: written here, apart from the generator's sentences.
MH_WORDS = re.compile(
    r"suic|sucid|self.?harm|overdos|\bod\b|\boded\b|mental|\bmh\b|psych|psyc|voices|hallucin|halucin|s136|cmht|"
    r"crht|crisis|depress|anxi|panic|paranoi|schizo|scitzo|bipolar|eupd|low (in )?mood|jump|ligature|tablets|"
    r"\bdose\b|lacerat|\bcuts?\b|cutting|end (their|his|her) life|end it\b|wants? to die|\bsi\b|\bdsh\b|\bsh\b|"
    r"railings|parapet|not safe|keep (themselves|himself|herself) safe|no point|cope|tearful|distress|hopeless|"
    r"agitated|withdrawn|feeling (low|anxious)|liaison|street triage|blade|\brope\b|stimuli|toxbase|paracetamol|"
    r"safety plan|\bmse\b|lithium|\bmeds\b|place of safety|psychot|section",
    re.IGNORECASE,
)


def tolerance(p: float, n: int) -> float:
    return 4 * math.sqrt(max(p * (1 - p), 1e-4) / max(n, 1)) + 0.005


def template_regex(template: str) -> str:
    """A template as a regex: literal text, any slot as a short run of anything but a line break."""
    parts = re.split(r"\{\w+\}", template)
    return r"[^\n]{1,80}?".join(re.escape(p) for p in parts)


def matches_template(text: str, templates: tuple[str, ...], ignore_case: bool = False) -> bool:
    flags = re.IGNORECASE if ignore_case else 0
    return any(re.fullmatch(template_regex(t), text, flags) for t in templates)


@pytest.fixture(scope="module")
def big_county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second county, another seed and more people, for rates (5,000 people x 8 months)."""
    root = tmp_path_factory.mktemp("voices_county")
    generate(root, people=5000, months=8, seed=21)
    return root


# -- feedback themes ------------------------------------------------------------------------------------------


def test_theme_vocabulary_and_phrasings() -> None:
    assert tuple(THEME_DESCRIPTIONS) == THEMES
    assert tuple(FEEDBACK_THEMES) == THEMES and tuple(config.FEEDBACK_THEME_BASE) == THEMES
    for theme, polarities in FEEDBACK_THEMES.items():
        assert set(polarities) == set(config.FEEDBACK_THEME_BASE[theme])
        phrasings = [p for ps in polarities.values() for p in ps]
        assert len(phrasings) >= 12, theme
        assert len(set(phrasings)) == len(phrasings), theme
        assert any(p[0].islower() for p in phrasings), f"{theme} has no informal phrasing"
    every = [p for ps in FEEDBACK_THEMES.values() for v in ps.values() for p in v]
    assert len(set(every)) == len(every), "a phrasing belongs to one theme"
    assert set(FEEDBACK_DECOYS) <= set(THEMES)
    decoys = {p for kinds in FEEDBACK_DECOYS.values() for v in kinds.values() for p in v}
    assert not decoys & set(every)
    # the filler carries no theme: none of it is a theme phrasing
    assert not (set(FEEDBACK_PLAIN) | set(FEEDBACK_IDENT)) & set(every)


def test_feedback_theme_truth_is_what_the_comments_say(county) -> None:
    """Every truth row's phrase is at its offsets and is a phrasing of its theme; decoys likewise."""
    root, _ = county
    comments = {r["ResponseId"]: r["Comment"] for r in read_feed(root, "feedback")}
    themes = read_truth(root, "feedback_themes.csv")
    decoys = read_truth(root, "feedback_theme_decoys.csv")
    per_comment: dict[str, list[str]] = defaultdict(list)
    for row in themes:
        text = comments[row["feedback_id"]]
        assert text[int(row["start"]) : int(row["end"])] == row["phrase"]
        assert row["theme"] in THEMES
        assert matches_template(row["phrase"], FEEDBACK_THEMES[row["theme"]][row["polarity"]]), row["phrase"]
        per_comment[row["feedback_id"]].append(row["theme"])
    for fid, ts in per_comment.items():
        assert len(ts) == len(set(ts)) <= 3, fid
    for row in decoys:
        text = comments[row["feedback_id"]]
        assert text[int(row["start"]) : int(row["end"])] == row["phrase"]
        assert row["phrase"] in FEEDBACK_DECOYS[row["theme"]][row["kind"]]
        assert row["theme"] not in per_comment[row["feedback_id"]]
    assert len(themes) > 50 and decoys
    assert len(per_comment) < len(comments)  # some comments carry no theme, and have no row


def test_feedback_truth_is_complete(county) -> None:
    """Take the planted theme and decoy sentences out of a comment: what is left is filler, and nothing else."""
    root, _ = county
    comments = {r["ResponseId"]: r["Comment"] for r in read_feed(root, "feedback")}
    spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for name in ("feedback_themes.csv", "feedback_theme_decoys.csv"):
        for row in read_truth(root, name):
            spans[row["feedback_id"]].append((int(row["start"]), int(row["end"])))
    filler = "|".join(f"(?:{template_regex(t)})" for t in (*FEEDBACK_PLAIN, *FEEDBACK_IDENT))
    rest_re = re.compile(rf"[ \n]*(?:(?:{filler})[ \n]*)*")
    for fid, text in comments.items():
        rest, last = [], 0
        for start, end in sorted(spans[fid]):
            rest.append(text[last:start])
            last = end
        rest.append(text[last:])
        assert rest_re.fullmatch("\n".join(rest)), fid


def _draws(service: str, stars: int, under_hit: bool, n: int = 6000, seed: int = 1) -> Counter:
    rng = random.Random(seed)
    out: Counter = Counter()
    for _ in range(n):
        for tag, _template in feedback_themes(rng, service, stars, under_hit):
            kind, theme, polarity = tag.split(":")
            out[(kind, theme, polarity)] += 1
    out["_n"] = n
    return out


def _share(draws: Counter, theme: str | None = None, polarity: str | None = None) -> float:
    hits = sum(
        v
        for k, v in draws.items()
        if k != "_n" and k[0] == "theme" and (theme is None or k[1] == theme) and (polarity is None or k[2] == polarity)
    )
    return hits / draws["_n"]


def test_themes_follow_the_rating_the_service_and_the_high_intensity_team() -> None:
    low, high = _draws("ED", 1, False), _draws("ED", 5, False)
    assert _share(low, polarity="negative") > 3 * _share(low, polarity="positive")
    assert _share(high, polarity="positive") > 3 * _share(high, polarity="negative")
    police, ed, triage = _draws("POLICE", 3, False), _draws("ED", 3, False), _draws("STREET_TRIAGE", 3, False)
    assert _share(police, "police_and_restraint") > 3 * _share(ed, "police_and_restraint")
    assert _share(triage, "police_and_restraint") > 2 * _share(ed, "police_and_restraint")
    assert _share(ed, "waiting") > _share(_draws("MH_TRUST", 3, False), "waiting")
    assert _share(_draws("COUNCIL", 3, False), "practical_help") > 3 * _share(ed, "practical_help")
    for service in ("MH_TRUST", "ED"):
        plain, hit = _draws(service, 4, False), _draws(service, 4, True)
        for theme in ("continuity", "listened_to_and_involved"):
            # a shift, not a flood: sampling without replacement saturates for themes already common
            assert _share(hit, theme) > 1.15 * _share(plain, theme) and _share(hit, theme) > _share(plain, theme) + 0.03
    # counts and decoys at their configured rates
    rng = random.Random(3)
    counts, decoyed = Counter(), 0
    for _ in range(8000):
        tags = feedback_themes(rng, rng.choice(list(config.FEEDBACK_THEME_SERVICE)), rng.randint(1, 5), False)
        counts[sum(t.startswith("theme:") for t in (tag for tag, _ in tags))] += 1
        decoyed += any(tag.startswith("decoy:") for tag, _ in tags)
    for k, p in config.FEEDBACK_THEME_COUNT.items():
        assert abs(counts[k] / 8000 - p) < tolerance(p, 8000), k
    assert abs(decoyed / 8000 - config.FEEDBACK_DECOY) < tolerance(config.FEEDBACK_DECOY, 8000)


def test_themes_in_the_county_agree_with_ratings_and_services(big_county) -> None:
    comments = {r["ResponseId"]: r for r in read_feed(big_county, "feedback")}
    themes = read_truth(big_county, "feedback_themes.csv")
    ratings: dict[str, list[int]] = defaultdict(list)
    by_service: dict[str, Counter] = defaultdict(Counter)
    for row in themes:
        c = comments[row["feedback_id"]]
        if c["Rating"]:
            ratings[row["polarity"]].append(int(c["Rating"]))
        by_service[c["Service"]][row["theme"]] += 1
    assert sum(ratings["negative"]) / len(ratings["negative"]) + 1 < sum(ratings["positive"]) / len(ratings["positive"])
    police = by_service["POLICE"]
    # police feedback is about police handling more than anything else (a small county: no fixed share)
    assert police.most_common(1)[0][0] == "police_and_restraint", police
    seen = set().union(*by_service.values())
    # every theme the county plants is one of the codebook's ten; the rarest (practical help, mostly about the
    # council) may not appear in a small county
    assert seen <= set(THEMES) and len(seen) >= len(THEMES) - 2, seen


# -- mental-health signals in police, ambulance and ED narratives ---------------------------------------------


def test_mh_sentence_pools_say_what_their_kind_says() -> None:
    """Cues and confounders match a generous term list; neutral and generic sentences do not."""
    for feed, pools in MH_TEXT.items():
        for kind in ("cue", "negated", "other_sense"):
            assert len(pools[kind]) >= (12 if kind == "cue" else 5), (feed, kind)
            for t in pools[kind]:
                assert MH_WORDS.search(t.replace("{feeling}", "withdrawn")), (feed, kind, t)
        ident, plain = POOLS[feed]
        generic = [*pools["neutral"], *ident, *plain, *CONTEXT[f"{feed}:other"]]
        generic += [t for k, v in CONTEXT.items() if k.startswith(f"{feed}:") and k not in MH_CUE_CONTEXTS for t in v]
        for t in generic:
            assert not MH_WORDS.search(t), (feed, t)
        for key in MH_CUE_CONTEXTS:
            for t in CONTEXT[key]:
                assert MH_WORDS.search(t), key
    registers = " ".join(MH_TEXT["police_incidents"]["cue"] + MH_TEXT["ambulance_calls"]["cue"])
    for abbreviation in ("CMHT", "CRHT", "EUPD", "DSH", " OD ", " SI", "MH "):
        assert abbreviation in registers, abbreviation
    for misspelling in ("sucidal", "Threating", "scitzophrenia", "sucidial"):
        assert misspelling in registers, misspelling


def _mh_truth(root: Path) -> tuple[dict, dict, dict]:
    signals = {(r["feed"], r["record_id"]): r for r in read_truth(root, "mh_signals.csv")}
    text: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for r in read_truth(root, "mh_text.csv"):
        text[(r["feed"], r["record_id"])].append(r)
    planted: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for r in read_truth(root, "planted_identifiers.csv"):
        if r["start"] and r["feed"] in NARRATIVE:
            planted[(r["feed"], r["record_id"])].append((int(r["start"]), int(r["end"])))
    return signals, text, planted


def _masked(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + "[ID]" + text[end:]
    return text


def test_mh_signal_truth_matches_the_records(county) -> None:
    root, _ = county
    signals, text, planted = _mh_truth(root)
    truth = {(r["feed"], r["record_id"]): r for r in read_truth(root, "records.csv")}
    seen: set[tuple[str, str]] = set()
    for feed, column in NARRATIVE.items():
        spec = FEED_SPECS[feed]
        for row in read_feed(root, feed):
            key = (feed, row[spec.record_id])
            sig = signals[key]
            seen.add(key)
            assert sig["is_mental_health_related"] == truth[key]["is_mental_health_related"]
            assert sig["signal_in_codes"] == str(int(mh_code_signal(feed, row)))
            narrative = row[column]
            kinds = Counter()
            for t in text[key]:
                assert t["column"] == column
                sentence = narrative[int(t["start"]) : int(t["end"])]
                assert sentence == t["sentence"]
                kinds[t["kind"]] += 1
                if t["kind"] in {"cue", "negated", "other_sense"}:
                    assert MH_WORDS.search(_masked(sentence, [])), sentence
            assert sig["signal_in_text"] == str(int(kinds["cue"] > 0))
            assert sig["confounder"] == next((k for k in ("negated", "other_sense") if kinds[k]), "")
            if sig["is_mental_health_related"] == "1":
                assert not sig["confounder"]
            if sig["signal_in_text"] == "0" and not sig["confounder"]:
                # nothing in the narrative a term list could find (identifiers masked: a name is not a cue)
                assert not MH_WORDS.search(_masked(narrative, planted[key])), narrative
    assert seen == set(signals)  # one truth row per record (duplicated rows share it)


@pytest.mark.parametrize("feed", list(NARRATIVE))
def test_mh_signal_and_confounder_shares_are_as_configured(big_county, feed) -> None:
    signals, _, _ = _mh_truth(big_county)
    rows = [r for (f, _), r in signals.items() if f == feed]
    mh = [r for r in rows if r["is_mental_health_related"] == "1"]
    other = [r for r in rows if r["is_mental_health_related"] == "0"]
    any_signal = sum(r["signal_in_codes"] == "1" or r["signal_in_text"] == "1" for r in mh) / len(mh)
    expected = 1 - config.MH_SIGNAL_ABSENT[feed]
    # messiness (an unknown code, a blanked field) can only take a code signal away: a little below, never above
    assert (
        expected - tolerance(1 - expected, len(mh)) - 0.005 < any_signal < expected + tolerance(1 - expected, len(mh))
    )
    assert 0.95 <= any_signal <= 0.985, any_signal  # the realistic ceiling the brief asks for
    text = sum(r["signal_in_text"] == "1" for r in mh) / len(mh)
    assert (1 - config.MH_SIGNAL_ABSENT[feed]) * config.MH_TEXT_CUE[feed] - 0.02 < text < any_signal
    confounded = [r for r in other if r["confounder"]]
    share = len(confounded) / len(other)
    assert abs(share - config.MH_CONFOUNDER[feed]) < tolerance(config.MH_CONFOUNDER[feed], len(other)), share
    assert 0.04 < share < 0.09
    negated = sum(r["confounder"] == "negated" for r in confounded) / len(confounded)
    assert abs(negated - config.MH_CONFOUNDER_NEGATED) < tolerance(config.MH_CONFOUNDER_NEGATED, len(confounded))


def test_agencies_own_mh_tags_keep_their_documented_rates(big_county) -> None:
    records = {(r["feed"], r["record_id"]): r for r in read_truth(big_county, "records.csv")}
    amb: dict[str, Counter] = defaultdict(Counter)
    for row in read_feed(big_county, "ambulance_calls"):
        amb[records[("ambulance_calls", row["CallID"])]["is_mental_health_related"]][row["MHRelated"]] += 1
    for real, rate in (("1", config.AMBULANCE_MH_FLAG_SENSITIVITY), ("0", config.AMBULANCE_MH_FLAG_FALSE_POSITIVE)):
        n = sum(amb[real].values())
        assert abs(amb[real]["Yes"] / n - rate) < tolerance(rate, n), real
    police: dict[str, Counter] = defaultdict(Counter)
    for row in read_feed(big_county, "police_incidents"):
        police[records[("police_incidents", row["INCIDENT_REF"])]["is_mental_health_related"]][row["MH_FLAG"]] += 1
    for real, expected in (("1", config.MH_FLAG_GIVEN_MH), ("0", config.MH_FLAG_GIVEN_NOT_MH)):
        n = sum(police[real].values())
        for flag, rate in expected.items():
            assert abs(police[real][flag] / n - rate) < tolerance(rate, n), (real, flag)


# -- equality columns -----------------------------------------------------------------------------------------


def test_equality_code_lists() -> None:
    groups = {e[0] for e in ETHNICITIES}
    assert set(ETHNICITY_ONS_GROUP.values()) == groups  # the five ONS 2021 groups, spelt as in people.csv
    assert set(ETHNICITY_CODES) - set(ETHNICITY_ONS_GROUP) == {"REF", "NK"}
    for (group, detail, _, nhs), council, nhs_code in zip(
        ETHNICITIES, COUNCIL_ETHNIC_CODES, NHS_ETHNIC_CODES, strict=True
    ):
        assert ETHNICITY_ONS_GROUP[council] == group
        assert ETHNICITY_CODES[council].endswith(detail)
        assert nhs_code == nhs and nhs in ETHNIC_CATEGORIES
    assert set(PRIMARY_SUPPORT_REASONS) == {"PHYS", "SENS", "MEM_COG", "LD", "MH", "SOC_SUPPORT"}


def _held_per_person(root: Path, feed: str, columns: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """Each person's values in a feed (rows with planted messiness left out); asserts one value per person."""
    spec = FEED_SPECS[feed]
    records = {(r["feed"], r["record_id"]): r["person_id"] for r in read_truth(root, "records.csv")}
    messy = {m["record_id"] for m in read_truth(root, "messiness.csv") if m["feed"] == feed}
    held: dict[str, dict[str, str]] = {}
    for row in read_feed(root, feed):
        rid = row[spec.record_id]
        if rid in messy or (feed == "council_contacts" and row["Service"] != "ASC"):
            continue
        values = {c: row[c] for c in columns}
        if feed == "council_contacts" and row["Reason"] == "CARER_SUPPORT":
            assert values.pop("Primary_Support_Reason") == ""
        person = held.setdefault(records[(feed, rid)], {})
        for c, v in values.items():
            assert person.setdefault(c, v) == v, (feed, c)  # held once per person
    return held


def _check_rate(count: int, n: int, rate: float, what: str) -> None:
    assert n > 30, what
    assert abs(count / n - rate) < tolerance(rate, n), (what, count / n, rate)


def _check_flag(held, people, column: str, truth_column: str, rates, what: str) -> None:
    values = [(h[column], people[pid][truth_column]) for pid, h in held.items()]
    assert {v for v, _ in values} <= {"Y", "N", ""}
    _check_rate(sum(v == "" for v, _ in values), len(values), rates["blank"], f"{what} blank")
    yes = [v for v, t in values if v and t == "1"]
    no = [v for v, t in values if v and t == "0"]
    _check_rate(yes.count("N"), len(yes), rates["missed"], f"{what} missed")
    _check_rate(no.count("Y"), len(no), rates["false"], f"{what} false")


def _check_ethnicity(held, people, column: str, truth_code, feed: str, not_stated: str, not_known: str) -> None:
    rates = config.ETHNICITY_RECORDING[feed]
    kinds: Counter = Counter()
    for pid, h in held.items():
        person, value = people[pid], h[column]
        true = truth_code(person)
        if value == not_stated:
            kinds["not_stated"] += 1
        elif value == not_known:
            kinds["not_known"] += 1
        elif value == true:
            kinds["right"] += 1
        else:
            kinds["wrong"] += 1
    n = sum(kinds.values())
    for kind in ("not_stated", "not_known", "wrong"):
        _check_rate(kinds[kind], n, rates[kind], f"{feed} ethnicity {kind}")


def test_mh_trust_equality_columns_come_from_the_truth(big_county) -> None:
    people = {p["person_id"]: p for p in read_truth(big_county, "people.csv")}
    held = _held_per_person(big_county, "mh_contacts", ("Ethnic_Category", "Disability", "Autism_LD_Flag"))
    assert {h["Ethnic_Category"] for h in held.values()} <= set(ETHNIC_CATEGORIES)
    _check_ethnicity(held, people, "Ethnic_Category", lambda p: p["nhs_ethnic_category"], "mh_contacts", "Z", "99")
    feed = "mh_contacts"
    _check_flag(held, people, "Disability", "has_disability", config.DISABILITY_RECORDING[feed], "mh disability")
    rates = config.NEURODIVERGENCE_RECORDING[feed]
    _check_flag(held, people, "Autism_LD_Flag", "is_neurodivergent", rates, "mh autism/LD")


def test_council_equality_columns_come_from_the_truth(big_county) -> None:
    people = {p["person_id"]: p for p in read_truth(big_county, "people.csv")}
    code_of = {
        f"{g}: {d}": c
        for c, (g, d) in ((c, label.split(": ", 1)) for c, label in ETHNICITY_CODES.items() if ": " in label)
    }
    held = _held_per_person(big_county, "council_contacts", ("Ethnicity", "Disability", "Primary_Support_Reason"))
    assert {h["Ethnicity"] for h in held.values()} <= set(ETHNICITY_CODES)

    def truth_code(p: dict[str, str]) -> str:
        return code_of[f"{p['ethnicity_group']}: {p['ethnicity_detail']}"]

    _check_ethnicity(held, people, "Ethnicity", truth_code, "council_contacts", "REF", "NK")
    rates = config.DISABILITY_RECORDING["council_contacts"]
    _check_flag(held, people, "Disability", "has_disability", rates, "council disability")
    reasons = Counter()
    for pid, h in held.items():
        reason, p = h.get("Primary_Support_Reason"), people[pid]
        if reason is None:
            continue  # only carer contacts seen for this person
        reasons[reason] += 1
        if reason == "LD":
            assert p["is_neurodivergent"] == "1"
        if reason in {"PHYS", "SENS", "MEM_COG"}:
            assert p["has_disability"] == "1"
        if reason == "MEM_COG":
            assert int(p["age_at_start"]) >= 65
    n = sum(reasons.values())
    _check_rate(reasons[""], n, config.PRIMARY_SUPPORT_REASON_BLANK, "support reason blank")
    assert {"MH", "PHYS", "LD", "SOC_SUPPORT"} <= set(reasons)


def test_housing_rows_carry_no_equality_data(county) -> None:
    root, _ = county
    messy = {m["record_id"] for m in read_truth(root, "messiness.csv") if m["feed"] == "council_contacts"}
    housing = [
        r for r in read_feed(root, "council_contacts") if r["Service"] == "HOUSING" and r["CaseRef"] not in messy
    ]
    assert housing
    for row in housing:
        assert (row["Ethnicity"], row["Disability"], row["Primary_Support_Reason"]) == ("", "", "")
