"""``generate``: write the synthetic county's monthly agency deliveries and its ground truth.

People are drawn a chunk at a time (``config.CHUNK_SIZE``), then simulated month by month together (the
programme's capacity is the county's: ``population.simulate_county``, enrolment in ``enrolment``), and each
chunk's records are built and appended to the monthly delivery files in turn, so memory holds every person's
attributes and monthly counts but one chunk's records, never the county's. Everything is seeded from ``seed``
and the chunk number, so the same arguments give byte-identical files.
"""

from __future__ import annotations

import csv
import logging
import random
import shutil
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

from pipelines.feeds import FEED_SPECS
from pipelines.feeds.base import DType, FeedSpec
from pipelines.feeds.mh_outcome_measures import MEASURE_ITEMS
from pipelines.settings import FEEDS, mode
from pipelines.synth import config
from pipelines.synth.effects import CONTACT_OUTCOMES, OUTCOME_OF_AGENCY, TrueEffects, load_effects
from pipelines.synth.enrolment import Enrolment, Programme, go_live_dates, locality_codes, make_programme
from pipelines.synth.narratives import MH_CUE_CONTEXTS
from pipelines.synth.population import (
    ARMS,
    CRISIS_AGENCIES,
    ETHNICITIES,
    County,
    People,
    draw_crisis_plans,
    make_county,
    make_people,
    simulate_county,
)
from pipelines.synth.records import (
    Builder,
    Draft,
    days_in_month,
    identifier_columns,
    item_responses,
    mh_code_signal,
    mh_text_signal,
    month_start,
)
from pipelines.synth.scoring import Score, format_score, score

log = logging.getLogger(__name__)

CRISIS_BUILDERS = {
    "police_incidents": "police",
    "ambulance_calls": "ambulance",
    "ed_attendances": "ed",
    "mh_contacts": "mh",
    "council_contacts": "council",
}
FEEDBACK_SERVICE = {
    "police_incidents": "POLICE",
    "ambulance_calls": "AMBULANCE",
    "ed_attendances": "ED",
    "mh_contacts": "MH_TRUST",
    "council_contacts": "COUNCIL",
}
ROUTE_OF_AGENCY = {
    "police_incidents": "POLICE",
    "ambulance_calls": "AMBULANCE",
    "ed_attendances": "ED",
    "mh_contacts": "MH_TRUST",
    "council_contacts": "COUNCIL",
}
UNKNOWN_CODES = ("UNK", "XX", "?", "99X", "OTHER1", "N/K")
MEASURES = tuple(MEASURE_ITEMS)
# effects.csv outcomes: (measure, outcome name, which score of pipelines.synth.scoring.Score)
OUTCOMES: tuple[tuple[str, str, str], ...] = (
    ("REQOL10", "reqol10_total", "total"),
    ("SWEMWBS", "swemwbs_total", "total"),
    ("CORE10", "core10_total", "total"),
    ("DIALOG", "dialog_quality_of_life_mean", "total"),
    ("DIALOG", "dialog_treatment_satisfaction_mean", "secondary"),
    ("HONOS", "honos_total", "total"),
)


@dataclass(frozen=True)
class SynthSummary:
    """What ``generate`` wrote: counts per feed, where, and how long it took."""

    out_dir: Path
    people: int
    months: int
    seed: int
    start: str
    rows: dict[str, int]  # data rows written per feed (clean deliveries, duplicates included)
    files: dict[str, int]  # clean delivery files per feed
    enrolled: dict[str, int]  # people stepped up, per intervention
    eligible_never_enrolled: int = 0  # reached the threshold in an enrolment month, never stepped up
    enrolled_below_threshold: int = 0  # stepped up with fewer recorded contacts than the threshold
    effects: str = "default"
    fault_files: int = 0
    seconds: float = 0.0
    truth_dir: Path = field(default_factory=Path)

    def lines(self) -> list[str]:
        """A short human report (no identifiable values: counts and paths only)."""
        out = [
            f"synthetic county: {self.people} people, {self.months} months from {self.start}, seed {self.seed}",
            f"landing: {self.out_dir / 'landing'}",
            f"truth:   {self.truth_dir}",
        ]
        out += [f"  {feed:<22} {self.files[feed]:>3} files {self.rows[feed]:>9} rows" for feed in FEEDS]
        out.append("  stepped up: " + ", ".join(f"{k} {v}" for k, v in self.enrolled.items()))
        out.append(
            f"  eligible never enrolled: {self.eligible_never_enrolled}; enrolled below the threshold: "
            f"{self.enrolled_below_threshold}; true effects: {self.effects}"
        )
        if self.fault_files:
            out.append(f"  fault files: {self.fault_files} (see synth_truth/faults.csv)")
        out.append(f"  took {self.seconds:.1f} s")
        return out


def parse_start(start: str) -> date:
    """``YYYY-MM`` -> the first day of that month."""
    try:
        year, month = (int(x) for x in start.split("-"))
        return date(year, month, 1)
    except ValueError:
        raise ValueError("start must be YYYY-MM") from None


def period_of(start: date, month: int) -> str:
    """The delivery period ``YYYY-MM`` of month index ``month`` (0 = the first month)."""
    first = month_start(start, month)
    return f"{first.year:04d}-{first.month:02d}"


def delivery_name(spec: FeedSpec, period: str) -> str:
    """The clean delivery's file name for a period, by the feed's own convention."""
    return spec.file_pattern.replace("*", period)


def generate(
    out_dir: Path,
    people: int = 20000,
    months: int = 24,
    seed: int = 42,
    start: str = config.START_DEFAULT,
    faults: bool = False,
    effects: str | Path | dict | TrueEffects | None = None,
) -> SynthSummary:
    """Write the county into ``out_dir`` (the data root): ``landing/`` for the pipeline, ``synth_truth/`` for tests.

    ``effects``: the true effects (``pipelines.synth.effects.load_effects``: None = ``config.DEFAULT_EFFECTS``,
    ``"none"`` = no effect, a mapping or a JSON file). Regenerating replaces the files a previous run wrote there.
    Refused in production mode, where the landing zone holds real agencies' files.
    """
    if mode() == "production":
        raise RuntimeError("hfc synth writes a synthetic landing zone and is refused in production mode")
    if people < 1 or months < 1:
        raise ValueError("people and months must be at least 1")
    true_effects = effects if isinstance(effects, TrueEffects) else load_effects(effects)
    began = time.perf_counter()
    out_dir = Path(out_dir)
    first = parse_start(start)
    writer = _Writer(out_dir, first, months, seed)
    county = make_county(seed)
    programme = make_programme(seed, months, people)
    writer.write_reference(county, programme)
    enrolled: dict[str, int] = dict.fromkeys(ARMS, 0)
    effects_acc = _Effects(months, true_effects)
    chunks = [
        make_people(county, chunk, chunk_start, min(config.CHUNK_SIZE, people - chunk_start), seed, first, months)
        for chunk, chunk_start in enumerate(range(0, people, config.CHUNK_SIZE))
    ]
    enrolment = simulate_county(chunks, months, programme, true_effects)
    writer.write_enrolment(enrolment, chunks)
    write_area_effects(writer.truth / "area_effects.csv", chunks, programme, true_effects, first, months)
    for chunk, chunk_people in enumerate(chunks):
        draw_crisis_plans(chunk_people, np.random.default_rng([seed, chunk, 11]), first, months)
        builder = Builder(chunk_people, county.lsoa_codes, random.Random(seed * 1_000_033 + chunk * 7 + 1))
        drafts, s136 = _build_chunk(chunk_people, builder, first, months, writer, effects_acc)
        writer.write_people(chunk_people, county, first)
        writer.write_crisis_plans(chunk_people)
        writer.write_drafts(drafts, chunk_people, random.Random(seed * 31 + chunk))
        effects_acc.add_contacts(chunk_people, s136)
        for a in chunk_people.arm[chunk_people.arm >= 0]:
            enrolled[ARMS[int(a)]] += 1
        log.info("synth chunk %d: %d people, %d records", chunk, len(chunk_people), len(drafts))
    writer.finish()
    effects_acc.write(writer.truth / "effects.csv")
    never, below = enrolment_counts(enrolment)
    write_opt_out_list(out_dir, writer.truth / "people.csv", seed)
    n_faults = 0
    if faults:
        from pipelines.synth.faults import write_faults

        n_faults = write_faults(out_dir, first, months, seed)
    _write_readme(writer.truth / "README.md", faults)
    return SynthSummary(
        out_dir=out_dir,
        people=people,
        months=months,
        seed=seed,
        start=start,
        rows=dict(writer.rows),
        files={feed: months for feed in FEEDS},
        enrolled=enrolled,
        eligible_never_enrolled=never,
        enrolled_below_threshold=below,
        effects=true_effects.source,
        fault_files=n_faults,
        seconds=time.perf_counter() - began,
        truth_dir=writer.truth,
    )


def _build_chunk(
    p: People, b: Builder, first: date, months: int, writer: _Writer, effects: _Effects
) -> tuple[list[Draft], np.ndarray]:
    rng = b.rng
    drafts: list[Draft] = []
    s136 = np.zeros((len(p), months), dtype=np.int64)
    n_idx, t_idx, a_idx = np.nonzero(p.counts)
    reps = p.counts[n_idx, t_idx, a_idx]
    for i, t, a, c in zip(n_idx.tolist(), t_idx.tolist(), a_idx.tolist(), reps.tolist(), strict=True):
        feed = CRISIS_AGENCIES[a]
        make = getattr(b, CRISIS_BUILDERS[feed])
        for _ in range(c):
            d = make(i, t, first)
            drafts.append(d)
            if feed == "police_incidents" and d.values["CLOSING_CODE"] == "S136":
                s136[i, t] += 1
            if rng.random() < config.FEEDBACK_PER_CONTACT:
                at = d.at + timedelta(days=rng.randrange(11), hours=rng.randrange(12))
                fm = _month_index(first, at)
                if fm < months:
                    drafts.append(b.feedback(i, at, fm, FEEDBACK_SERVICE[feed]))
    # the programme: step up, monthly reviews, step down; questionnaires before, during and after
    stationary_sd = config.SPELL_SD / np.sqrt(1 - config.SPELL_AR**2)
    person_noise = np.random.default_rng([writer.seed, p.start_index, 7]).normal(0, 0.5, len(p))

    def wellbeing(i: int, t: int) -> float:
        return float(
            -0.6 * (p.log_need[i] - config.NEED_LOG_MEAN) / config.NEED_LOG_SD
            - 0.8 * p.z[i, t] / stationary_sd
            + person_noise[i]
        )

    def questionnaire(i: int, at: datetime, t: int, measure: str, timepoint: str, arm: str | None) -> Score:
        n_items = MEASURE_ITEMS[measure][0]
        noise = [rng.gauss(0, 0.6) for _ in range(n_items)]
        clinician = measure == "HONOS"  # rated by a clinician: never blank, sometimes 9 (not known)
        skipped = [not clinician and rng.random() < config.PROM_ITEM_SKIPPED for _ in range(n_items)]
        not_known = [clinician and rng.random() < config.HONOS_NOT_KNOWN for _ in range(n_items)]
        w0 = wellbeing(i, t)
        shift = effects.true.shift(arm)
        responses = item_responses(measure, w0 + shift, noise, skipped, not_known)
        result = score(measure, responses)
        if arm is not None:
            untreated = score(measure, item_responses(measure, w0, noise, skipped, not_known))
            effects.add_potential(arm, measure, result, untreated)
        assessment = f"AS{writer.next_id('assessment'):08d}"
        for d in b.questionnaire_rows(i, at, t, measure, timepoint, responses):
            d.values["Assessment_ID"] = assessment
            drafts.append(d)
        writer.write_questionnaire(assessment, p.person_ids[i], measure, at, timepoint, result)
        return result

    for i in np.flatnonzero(p.step_up_month >= 0).tolist():
        s = int(p.step_up_month[i])
        arm = ARMS[int(p.arm[i])]
        e = int(p.episode_months[i])
        day = int(p.step_up_day[i])
        route = ROUTE_OF_AGENCY[CRISIS_AGENCIES[int(np.argmax(p.counts[i, max(0, s - 3) : s].sum(axis=0)))]]
        episode = f"EP{writer.next_id('episode'):06d}"

        def at_month(t: int, day: int = day) -> datetime:
            first_of = month_start(first, t)
            return datetime(first_of.year, first_of.month, min(day, days_in_month(first_of)), 10, 0)

        drafts.append(b.caseload(i, at_month(s), s, episode, "STEP_UP", arm, route, ""))
        if arm != "usual_care":
            for t in range(s + 1, min(s + e, months)):
                drafts.append(b.caseload(i, at_month(t), t, episode, "MANAGED", arm, route, ""))
        if s + e < months:
            reason = _pick_reason(rng)
            drafts.append(b.caseload(i, at_month(s + e), s + e, episode, "STEP_DOWN", arm, route, reason))
        baseline = {m: questionnaire(i, at_month(s), s, m, "BASELINE", None) for m in MEASURES}
        if e >= 4 and s + e // 2 < months:
            for m in MEASURES:
                questionnaire(i, at_month(s + e // 2), s + e // 2, m, "REVIEW", arm)
        if s + e + 1 < months:
            for m in MEASURES:
                follow = questionnaire(i, at_month(s + e + 1), s + e + 1, m, "FOLLOWUP", arm)
                effects.add_naive_score(arm, m, baseline[m], follow)
    # the comparison pool: people not (yet) stepped up whose recorded contacts reach the threshold, seen by the MH
    # trust in that window, are often assessed by the crisis team the next month (at most one assessment in any
    # POOL_ASSESSMENT_GAP months) and reviewed as long after as an enrolled follow-up
    window = config.ENROL_WINDOW
    recorded = p.counts.sum(axis=2)
    mh_counts = p.counts[:, :, CRISIS_AGENCIES.index("mh_contacts")]
    kernel = np.ones(window, dtype=np.int64)

    def rolling(a: np.ndarray) -> np.ndarray:
        return np.stack([np.convolve(row, kernel)[: a.shape[1]] for row in a]) if len(a) else a

    recent, mh_recent = rolling(recorded), rolling(mh_counts)
    eligible_now = recent >= config.ENROL_THRESHOLD
    lag = np.random.default_rng([writer.seed, p.start_index, 19])
    for i in np.flatnonzero(eligible_now.any(axis=1)).tolist():
        s = int(p.step_up_month[i])
        last = -config.POOL_ASSESSMENT_GAP
        for t in np.flatnonzero(eligible_now[i]).tolist():  # every month the person is eligible
            assessed = t + 1
            if t < config.ENROL_FIRST_MONTH - 1 or assessed >= months or (0 <= s <= assessed):
                continue  # before the programme, past the period, or enrolled by then (BASELINE instead)
            if mh_recent[i, t] == 0 or assessed - last < config.POOL_ASSESSMENT_GAP:
                continue
            if rng.random() >= config.POOL_ASSESSMENT:
                continue
            last = assessed
            review = assessed + int(lag.integers(config.EPISODE_MONTHS[0], config.EPISODE_MONTHS[1] + 1)) + 1
            for when in (assessed, review):
                if when >= months:
                    break
                at = b.when(first, when)
                arm = ARMS[int(p.arm[i])] if s >= 0 and when > s else None
                for m in MEASURES:
                    questionnaire(i, at, when, m, "ROUTINE", arm)
    # routine outcome monitoring in months with a mental health trust contact
    mh = CRISIS_AGENCIES.index("mh_contacts")
    for i, t in zip(*np.nonzero(p.counts[:, :, mh]), strict=True):
        if rng.random() < config.ROUTINE_PROM_PER_MH_MONTH:
            i, t = int(i), int(t)
            s = int(p.step_up_month[i])
            arm = ARMS[int(p.arm[i])] if s >= 0 and t > s else None
            questionnaire(i, b.when(first, t), t, rng.choice(MEASURES), "ROUTINE", arm)
    return drafts, s136


def _pick_reason(rng: random.Random) -> str:
    # DIED is in the agency's code list but never drawn: the synthetic people keep contacting services
    reasons = ("GOALS_MET", "DISENGAGED", "MOVED_AWAY", "TRANSFERRED", "OTHER")
    return rng.choices(reasons, weights=(0.5, 0.25, 0.07, 0.12, 0.06))[0]


def _month_index(first: date, at: datetime) -> int:
    return (at.year - first.year) * 12 + at.month - first.month


def _cp1252(value: str) -> str:
    return value.encode("cp1252", "replace").decode("cp1252")


class _Writer:
    """Appends each chunk's records to the monthly delivery files and the truth files."""

    def __init__(self, out_dir: Path, first: date, months: int, seed: int) -> None:
        self.out_dir = out_dir
        self.first = first
        self.months = months
        self.seed = seed
        self.landing = out_dir / "landing"
        self.truth = out_dir / "synth_truth"
        self.rows: dict[str, int] = dict.fromkeys(FEEDS, 0)
        self.file_rows: dict[tuple[str, int], int] = defaultdict(int)
        self.counters: dict[str, int] = defaultdict(int)
        self.ident_cols = {feed: identifier_columns(feed) for feed in FEEDS}
        self._reset()
        self.truth_files = {
            name: (self.truth / f"{name}.csv").open("w", newline="", encoding="utf-8") for name in TRUTH_FILES
        }
        self.tw = {name: csv.writer(f, lineterminator="\n") for name, f in self.truth_files.items()}
        self.tw["people"].writerow(PEOPLE_COLUMNS)
        self.tw["records"].writerow(
            ("feed", "record_id", "person_id", "event_at", "file", "is_mental_health_related", "identity_errors")
        )
        self.tw["planted_identifiers"].writerow(
            ("feed", "record_id", "file", "column", "entity_type", "value", "start", "end")
        )
        self.tw["messiness"].writerow(("feed", "file", "record_id", "kind", "column"))
        for name, columns in TRUTH_COLUMNS.items():
            self.tw[name].writerow(columns)
        self.tw["feedback_themes"].writerow(("feedback_id", "theme", "polarity", "start", "end", "phrase"))
        self.tw["feedback_theme_decoys"].writerow(("feedback_id", "theme", "kind", "start", "end", "phrase"))
        self.tw["mh_signals"].writerow(
            ("feed", "record_id", "is_mental_health_related", "signal_in_codes", "signal_in_text", "confounder")
        )
        self.tw["mh_text"].writerow(("feed", "record_id", "column", "kind", "start", "end", "sentence"))

    def _reset(self) -> None:
        if self.truth.exists():
            shutil.rmtree(self.truth)
        self.truth.mkdir(parents=True)
        for feed in FEEDS:
            spec = FEED_SPECS[feed]
            folder = self.landing / feed
            folder.mkdir(parents=True, exist_ok=True)
            for old in [*folder.glob(spec.file_pattern), *folder.glob(spec.file_pattern + ".ctl")]:
                old.unlink()
            for t in range(self.months):
                self._open(feed, t, "w").close()

    def _path(self, feed: str, month: int) -> Path:
        spec = FEED_SPECS[feed]
        return self.landing / feed / delivery_name(spec, period_of(self.first, month))

    def _open(self, feed: str, month: int, how: str):
        spec = FEED_SPECS[feed]
        f = self._path(feed, month).open(how, newline="", encoding=spec.encoding)
        if how == "w":
            self._csv(f, spec).writerow(spec.column_names)
        return f

    @staticmethod
    def _csv(f, spec: FeedSpec):
        terminator = "\r\n" if spec.encoding == "cp1252" else "\n"
        return csv.writer(f, delimiter=spec.delimiter, lineterminator=terminator)

    def next_id(self, key: str) -> int:
        self.counters[key] += 1
        return self.counters[key]

    def record_id(self, feed: str, at: datetime) -> str:
        if feed == "police_incidents":
            return f"CAD-{at:%y%m%d}-{self.next_id(f'p{at:%Y%m%d}'):05d}"
        if feed == "ambulance_calls":
            return f"{at:%Y%m%d}{self.next_id(f'a{at:%Y%m%d}'):05d}"
        if feed == "ed_attendances":
            return f"RX1{at:%y%m}{self.next_id(f'e{at:%Y%m}'):06d}"
        if feed == "mh_contacts":
            return f"CT{self.next_id('mh'):09d}"
        if feed == "mh_outcome_measures":
            return f"R{self.next_id('proms'):09d}"
        if feed == "feedback":
            return f"fb-{self.next_id('fb'):07d}"
        if feed == "council_contacts":
            return f"LA/{at:%y}/{self.next_id(f'c{at:%Y}'):06d}"
        return f"EV{self.next_id('caseload'):07d}"

    def write_reference(self, county: County, programme: Programme) -> None:
        ref = self.landing / "reference"
        ref.mkdir(parents=True, exist_ok=True)
        codes = locality_codes()
        with (ref / "lsoa_locality.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(("lsoa_code", "locality_code"))
            w.writerows((lsoa, codes[int(k)]) for lsoa, k in zip(county.lsoa_codes, county.localities, strict=True))
        team = go_live_dates(programme, self.first)
        start = programme.service_start
        county_wide = month_start(self.first, start).isoformat() if start >= 0 else ""
        with (ref / "programme_rollout.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(("locality_code", "intervention", "go_live_date"))
            for code in codes:
                w.writerow((code, "high_intensity_team", team[code]))
                w.writerow((code, "street_triage", county_wide))
                w.writerow((code, "usual_care", county_wide))
        with (ref / "lsoa_imd.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(("lsoa_code", "imd_decile"))
            w.writerows(zip(county.lsoa_codes, county.imd_deciles.tolist(), strict=True))
        with (ref / "postcode_lsoa.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(("postcode", "lsoa_code"))
            for code, pcs in zip(county.lsoa_codes, county.postcodes, strict=True):
                w.writerows((pc, code) for pc in pcs)

    def write_people(self, p: People, county: County, first: date) -> None:
        w = self.tw["people"]
        for i in range(len(p)):
            group, detail, _, nhs_code = ETHNICITIES[int(p.ethnicity[i])]
            h, nh = p.home[i], p.new_home[i]
            s = int(p.step_up_month[i])
            w.writerow(
                (
                    p.person_ids[i],
                    p.given[i],
                    p.family[i],
                    p.sex[i],
                    p.dob[i].isoformat(),
                    int(p.age[i]),
                    group,
                    detail,
                    nhs_code,
                    int(p.disability[i]),
                    int(p.neurodivergent[i]),
                    p.nhs[i],
                    p.ni[i],
                    p.local_patient_id[i],
                    p.phone[i],
                    p.email[i],
                    h.address,
                    h.postcode,
                    county.lsoa_codes[h.lsoa],
                    int(county.imd_deciles[h.lsoa]),
                    locality_codes()[int(county.localities[h.lsoa])],
                    period_of(first, int(p.move_month[i])) if nh is not None else "",
                    nh.address if nh else "",
                    nh.postcode if nh else "",
                    county.lsoa_codes[nh.lsoa] if nh else "",
                    locality_codes()[int(county.localities[nh.lsoa])] if nh else "",
                    f"{p.log_need[i]:.4f}",
                    int(p.counts[i].sum()),
                    ARMS[int(p.arm[i])] if s >= 0 else "",
                    period_of(first, s) if s >= 0 else "",
                    "; ".join(f"{rel}: {name}" for rel, name in p.relatives[i]),
                )
            )

    def write_enrolment(self, enrolment: Enrolment, chunks: list[People]) -> None:
        """synth_truth/enrolment.csv: every eligible or referred person-month, in month and person order."""
        ids = [pid for p in chunks for pid in p.person_ids]
        with (self.truth / "enrolment.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(ENROLMENT_COLUMNS)
            for d in sorted(enrolment.decisions, key=lambda d: (d.month, d.person)):
                w.writerow(
                    (
                        ids[d.person],
                        period_of(self.first, d.month),
                        d.month,
                        d.recorded_contacts,
                        int(d.eligible),
                        int(d.referred),
                        ARMS[d.referred_to] if d.referred_to >= 0 else "",
                        ARMS[d.intervention] if d.intervention >= 0 else "",
                        d.reason,
                    )
                )

    def write_questionnaire(
        self, assessment: str, person_id: str, measure: str, at: datetime, timepoint: str, result: Score
    ) -> None:
        self.tw["questionnaires"].writerow(
            (
                assessment,
                person_id,
                measure,
                at.date().isoformat(),
                timepoint,
                result.items_answered,
                format_score(result.total),
                format_score(result.secondary),
            )
        )

    def write_crisis_plans(self, p: People) -> None:
        w = self.tw["crisis_plans"]
        for i in range(len(p)):
            start = p.plan_start[i]
            if start is None:
                continue
            end, coproduced = p.plan_end[i], p.plan_coproduced_from[i]
            w.writerow(
                (
                    p.person_ids[i],
                    start.isoformat(),
                    end.isoformat() if end else "",
                    coproduced.isoformat() if coproduced else "",
                    p.plan_origin[i],
                )
            )

    def write_drafts(self, drafts: list[Draft], p: People, mess: random.Random) -> None:
        groups: dict[tuple[str, int], list[Draft]] = defaultdict(list)
        for d in drafts:
            groups[(d.feed, d.month)].append(d)
        for feed in FEEDS:
            spec = FEED_SPECS[feed]
            code_cols = [c.name for c in spec.columns if c.dtype is DType.CODE]
            required = [c.name for c in spec.columns if c.required and c.name not in (spec.record_id, spec.event_at)]
            event_col = spec.column(spec.event_at)
            event_fmt = spec.datetime_formats[0] if event_col.dtype is DType.DATETIME else spec.date_formats[0]
            for month in range(self.months):
                group = groups.get((feed, month))
                if not group:
                    continue
                group.sort(key=lambda d: (d.at, d.person))
                fname = self._path(feed, month).name
                with self._open(feed, month, "a") as f:
                    out = self._csv(f, spec)
                    for d in group:
                        rid = self.record_id(feed, d.at)
                        d.values[spec.record_id] = rid
                        row = self._mess(d, spec, rid, fname, code_cols, required, event_fmt, mess)
                        if feed == "council_contacts":
                            row = [_cp1252(v) for v in row]
                        out.writerow(row)
                        copies = 1
                        if mess.random() < config.MESSINESS["duplicate_row"]:
                            out.writerow(row)
                            copies = 2
                            self.tw["messiness"].writerow((feed, fname, rid, "duplicate_row", ""))
                        self.rows[feed] += copies
                        self.file_rows[(feed, month)] += copies
                        self._truth(d, spec, rid, fname, row, p)

    def _mess(
        self,
        d: Draft,
        spec: FeedSpec,
        rid: str,
        fname: str,
        code_cols: list[str],
        required: list[str],
        event_fmt: str,
        mess: random.Random,
    ) -> list[str]:
        values = d.values
        rates = config.MESSINESS
        mw = self.tw["messiness"]
        if mess.random() < rates["out_of_range_date"]:
            past = mess.random() < 0.5
            # two-digit years: pick ones that still parse out of range (1970, 2068)
            year = (1970 if past else 2068) if "%y" in event_fmt else (1900 if past else 2099)
            values[spec.event_at] = d.at.replace(year=year, day=min(d.at.day, 28)).strftime(event_fmt)
            mw.writerow((spec.name, fname, rid, "out_of_range_date", spec.event_at))
        if required and mess.random() < rates["missing_required"]:
            col = mess.choice(required)
            values[col] = ""
            mw.writerow((spec.name, fname, rid, "missing_required", col))
        if code_cols and mess.random() < rates["unknown_code"]:
            col = mess.choice(code_cols)
            values[col] = mess.choice(UNKNOWN_CODES)
            mw.writerow((spec.name, fname, rid, "unknown_code", col))
        return [values.get(c, "") for c in spec.column_names]

    def _truth(self, d: Draft, spec: FeedSpec, rid: str, fname: str, row: list[str], p: People) -> None:
        self.tw["records"].writerow(
            (spec.name, rid, p.person_ids[d.person], d.at.isoformat(), fname, d.is_mh, ";".join(d.errors))
        )
        planted = self.tw["planted_identifiers"]
        ident = self.ident_cols[spec.name]
        for col, value in zip(spec.column_names, row, strict=True):
            etype = ident.get(col)
            if etype and value:
                planted.writerow((spec.name, rid, fname, col, etype, value, "", ""))
        council = spec.name == "council_contacts"
        for col, etype, value, s, e in d.spans:
            planted.writerow((spec.name, rid, fname, col, etype, _cp1252(value) if council else value, s, e))
        for kind, col in d.planted:
            self.tw["messiness"].writerow((spec.name, fname, rid, kind, col))
        if d.gap is not None:
            col, code = d.gap
            if row[spec.column_names.index(col)] == code:  # unless messiness overwrote the code
                self.tw["crisis_care_gaps"].writerow(
                    (spec.name, rid, p.person_ids[d.person], int(d.plan_in_force), col, code)
                )
        if spec.name == "feedback":
            for _, m in d.marks:
                kind, theme, detail = m.tag.split(":")
                name = "feedback_themes" if kind == "theme" else "feedback_theme_decoys"
                self.tw[name].writerow((rid, theme, detail, m.start, m.end, m.text))
        elif spec.name in config.MH_CODE_SIGNALS:
            values = dict(zip(spec.column_names, row, strict=True))
            kinds = [m.tag.removeprefix("mh:") for _, m in d.marks if m.tag.startswith("mh:")]
            confounder = next((k for k in kinds if k in {"negated", "other_sense"}), "")
            self.tw["mh_signals"].writerow(
                (
                    spec.name,
                    rid,
                    d.is_mh,
                    int(mh_code_signal(spec.name, values)),
                    int(mh_text_signal(d.marks)),
                    confounder,
                )
            )
            for col, m in d.marks:
                kind = (
                    m.tag.removeprefix("mh:") if m.tag.startswith("mh:") else "cue" if m.tag in MH_CUE_CONTEXTS else ""
                )
                if kind:
                    self.tw["mh_text"].writerow((spec.name, rid, col, kind, m.start, m.end, m.text))

    def finish(self) -> None:
        for f in self.truth_files.values():
            f.close()
        for feed in FEEDS:
            spec = FEED_SPECS[feed]
            if not spec.has_control_totals:
                continue
            for month in range(self.months):
                path = self._path(feed, month)
                path.with_name(path.name + ".ctl").write_text(f"{self.file_rows[(feed, month)]}\n", encoding="utf-8")


# Truth files beside people/records/planted_identifiers/messiness, and their columns (synth_truth/README.md).
TRUTH_COLUMNS: dict[str, tuple[str, ...]] = {
    "questionnaires": (
        "assessment_id",
        "person_id",
        "measure_code",
        "assessment_date",
        "timepoint_code",
        "items_answered",
        "total_score",
        "secondary_score",
    ),
    "crisis_plans": ("person_id", "plan_start", "plan_end", "coproduced_from", "origin"),
    "crisis_care_gaps": ("feed", "record_id", "person_id", "plan_in_force", "column", "code"),
}

TRUTH_FILES = (
    "people",
    "records",
    "planted_identifiers",
    "messiness",
    "feedback_themes",
    "feedback_theme_decoys",
    "mh_signals",
    "mh_text",
    *TRUTH_COLUMNS,
)

ENROLMENT_COLUMNS = (
    "person_id",
    "month",  # YYYY-MM: the month the window ends; an enrolled person steps up the month after
    "month_index",
    "recorded_contacts",  # contacts over the ENROL_WINDOW months ending in that month
    "eligible",
    "referred",
    "referred_to",
    "intervention",
    "reason",
)

PEOPLE_COLUMNS = (
    "person_id",
    "given_name",
    "family_name",
    "sex",
    "date_of_birth",
    "age_at_start",
    "ethnicity_group",
    "ethnicity_detail",
    "nhs_ethnic_category",
    "has_disability",
    "is_neurodivergent",
    "nhs_number",
    "ni_number",
    "local_patient_id",
    "phone",
    "email",
    "address",
    "postcode",
    "lsoa_code",
    "imd_decile",
    "locality_code",
    "moved_in",
    "address_after_move",
    "postcode_after_move",
    "lsoa_code_after_move",
    "locality_code_after_move",
    "log_need",
    "crisis_contacts",
    "intervention",
    "stepped_up_in",
    "relatives",
)


class _Effects:
    """Accumulates, across chunks, the true effects and what a naive before/after comparison would show.

    Contacts: over the treated people's windows (``ENROL_WINDOW`` months before the step-up month and after it,
    both inside the period), the true effect is the ATT rate ratio of expected contacts with and without the
    intervention (potential outcomes from the same latent rates), so per-agency effects add up into
    crisis_contacts; the naive ratio is observed after over before.
    """

    def __init__(self, months: int, true: TrueEffects) -> None:
        self.months = months
        self.true = true
        n_ag = len(CRISIS_AGENCIES)
        self.before: dict[str, np.ndarray] = {a: np.zeros(n_ag) for a in ARMS}
        self.after: dict[str, np.ndarray] = {a: np.zeros(n_ag) for a in ARMS}
        self.expected_untreated: dict[str, np.ndarray] = {a: np.zeros(n_ag) for a in ARMS}
        self.expected_treated: dict[str, np.ndarray] = {a: np.zeros(n_ag) for a in ARMS}
        self.s136_before: dict[str, float] = defaultdict(float)
        self.s136_after: dict[str, float] = defaultdict(float)
        self.s136_untreated: dict[str, float] = defaultdict(float)
        self.s136_treated: dict[str, float] = defaultdict(float)
        self.n_people: dict[str, int] = defaultdict(int)
        self.potential: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0])  # (arm, outcome)
        self.naive_score: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0])

    def add_contacts(self, p: People, s136: np.ndarray) -> None:
        w = config.ENROL_WINDOW
        police = CRISIS_AGENCIES.index("police_incidents")
        for i in np.flatnonzero(p.step_up_month >= 0).tolist():
            s = int(p.step_up_month[i])
            if s - w < 0 or s + 1 + w > self.months:
                continue
            a = int(p.arm[i])
            arm = ARMS[a]
            self.n_people[arm] += 1
            self.before[arm] += p.counts[i, s - w : s].sum(axis=0)
            self.after[arm] += p.counts[i, s + 1 : s + 1 + w].sum(axis=0)
            untreated = p.rate0[i, s + 1 : s + 1 + w].sum() * p.shares[i]
            self.expected_untreated[arm] += untreated
            self.expected_treated[arm] += untreated * self.true.rate_ratio[a]
            s136_untreated = float(untreated[police] * p.p_mh[i] * config.S136_PER_MH_INCIDENT)
            self.s136_untreated[arm] += s136_untreated
            self.s136_treated[arm] += s136_untreated * float(self.true.s136_ratio[a])
            self.s136_before[arm] += float(s136[i, s - w : s].sum())
            self.s136_after[arm] += float(s136[i, s + 1 : s + 1 + w].sum())

    def add_potential(self, arm: str, measure: str, treated: Score, untreated: Score) -> None:
        """Treated minus untreated score of the same questionnaire (same noise, same blanks), per outcome."""
        self._add(self.potential, arm, measure, untreated, treated)

    def add_naive_score(self, arm: str, measure: str, baseline: Score, follow_up: Score) -> None:
        """Follow-up minus baseline score of one person, per outcome."""
        self._add(self.naive_score, arm, measure, baseline, follow_up)

    @staticmethod
    def _add(acc: dict[tuple[str, str], list[float]], arm: str, measure: str, before: Score, after: Score) -> None:
        for m, outcome, which in OUTCOMES:
            if m != measure:
                continue
            a, b = getattr(after, which), getattr(before, which)
            if a is not None and b is not None:  # no difference where the scoring rule gives no score
                acc[(arm, outcome)][0] += a - b
                acc[(arm, outcome)][1] += 1

    def _contact_row(self, arm: str, outcome: str, agencies: list[int], w_months: int, what: str) -> tuple:
        a = ARMS.index(arm)
        before = float(self.before[arm][agencies].sum())
        after = float(self.after[arm][agencies].sum())
        untreated = float(self.expected_untreated[arm][agencies].sum())
        treated = float(self.expected_treated[arm][agencies].sum())
        if untreated > 0:
            true = treated / untreated
        else:  # no treated person with whole windows: the set ratios, weighted by the county's agency mix
            weights = np.array([config.AGENCY_WEIGHTS[CRISIS_AGENCIES[k]] for k in agencies])
            true = float((self.true.rate_ratio[a, agencies] * weights).sum() / weights.sum())
        return (
            arm,
            outcome,
            "rate_ratio",
            f"{true:.4f}",
            f"{after / before:.4f}" if before else "",
            f"{untreated / before:.4f}" if before else "",
            self.n_people[arm],
            f"{what} in the {w_months} months after the step-up month over the {w_months} months before it; true: "
            "expected contacts with over without the intervention in the months after (ATT rate ratio)",
        )

    def write(self, path: Path) -> None:
        w_months = config.ENROL_WINDOW
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(
                (
                    "intervention",
                    "outcome",
                    "measure",
                    "true_effect",
                    "naive_before_after",
                    "expected_without_programme",
                    "n",
                    "description",
                )
            )
            for arm in ARMS:
                a = ARMS.index(arm)
                every = list(range(len(CRISIS_AGENCIES)))
                what = "contacts with police, ambulance, ED, MH trust and council"
                w.writerow(self._contact_row(arm, "crisis_contacts", every, w_months, what))
                for outcome, agency in CONTACT_OUTCOMES.items():
                    k = CRISIS_AGENCIES.index(agency)
                    w.writerow(self._contact_row(arm, outcome, [k], w_months, f"{agency} records"))
                sb, sa = self.s136_before[arm], self.s136_after[arm]
                s0, s1 = self.s136_untreated[arm], self.s136_treated[arm]
                w.writerow(
                    (
                        arm,
                        "s136_detentions",
                        "rate_ratio",
                        f"{s1 / s0 if s0 else float(self.true.s136_ratio[a]):.4f}",
                        f"{sa / sb:.4f}" if sb else "",
                        f"{s0 / sb:.4f}" if sb else "",
                        self.n_people[arm],
                        "police incidents closed S136, same windows",
                    )
                )
                for _, outcome, _ in OUTCOMES:
                    pot = self.potential.get((arm, outcome))
                    nav = self.naive_score.get((arm, outcome))
                    w.writerow(
                        (
                            arm,
                            outcome,
                            "mean_difference",
                            f"{pot[0] / pot[1]:.4f}" if pot and pot[1] else "",
                            f"{nav[0] / nav[1]:.4f}" if nav and nav[1] else "",
                            "",
                            int(pot[1]) if pot else 0,
                            "questionnaire score (published scoring rules) after step up: treated minus untreated "
                            "score of the same person and noise (true); follow-up minus baseline (naive)",
                        )
                    )


AREA_EFFECT_COLUMNS = (
    "locality_code",
    "intervention",
    "outcome",
    "go_live_date",
    "go_live_month_index",
    "post_months",
    "true_level_effect",
    "expected_with_team",
    "expected_without_team",
    "true_rate_ratio",
)


def write_area_effects(
    path: Path, chunks: list[People], programme: Programme, true: TrueEffects, first: date, months: int
) -> None:
    """synth_truth/area_effects.csv: per locality and contact outcome, the team's true level effect on the
    locality's monthly contacts from its go-live: the mean over post-go-live months of the team's clients'
    expected contacts with minus without the team (clients counted where they live that month)."""
    n_loc, n_ag = config.N_LOCALITIES, len(CRISIS_AGENCIES)
    team = ARMS.index("high_intensity_team")
    effect = np.zeros((n_loc, months, n_ag))
    expected = np.zeros((n_loc, months, n_ag))
    t_idx = np.arange(months)[None, :]
    for p in chunks:
        treated = (p.step_up_month[:, None] >= 0) & (t_idx > p.step_up_month[:, None])
        mult = np.where(treated[:, :, None], true.rate_ratio[np.maximum(p.arm, 0)][:, None, :], 1.0)
        exp_t = p.rate0[:, :, None] * p.shares[:, None, :] * mult  # (n, months, agencies)
        is_team = treated & (p.arm[:, None] == team)
        eff = np.where(is_team[:, :, None], exp_t - exp_t / mult, 0.0)
        for loc in range(n_loc):
            here = p.locality == loc
            expected[loc] += (exp_t * here[:, :, None]).sum(axis=0)
            effect[loc] += (eff * here[:, :, None]).sum(axis=0)
    dates = go_live_dates(programme, first)
    outcomes = [("crisis_contacts", list(range(n_ag)))] + [
        (OUTCOME_OF_AGENCY[a], [CRISIS_AGENCIES.index(a)]) for a in CRISIS_AGENCIES
    ]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(AREA_EFFECT_COLUMNS)
        for loc, code in enumerate(locality_codes()):
            g = int(programme.team_go_live[loc])
            for outcome, agencies in outcomes:
                if g < 0:
                    w.writerow((code, "high_intensity_team", outcome, "", "", 0, "", "", "", ""))
                    continue
                level = float(effect[loc, g:, agencies].sum(axis=0).mean())
                with_team = float(expected[loc, g:, agencies].sum(axis=0).mean())
                without = with_team - level
                w.writerow(
                    (
                        code,
                        "high_intensity_team",
                        outcome,
                        dates[code],
                        g,
                        months - g,
                        f"{level:.4f}",
                        f"{with_team:.4f}",
                        f"{without:.4f}",
                        f"{with_team / without:.4f}" if without > 0 else "",
                    )
                )


def enrolment_counts(enrolment: Enrolment) -> tuple[int, int]:
    """People eligible in an enrolment month who were never stepped up; people stepped up below the threshold."""
    eligible = {d.person for d in enrolment.decisions if d.eligible}
    enrolled = {d.person for d in enrolment.decisions if d.intervention >= 0}
    below = {d.person for d in enrolment.decisions if d.intervention >= 0 and not d.eligible}
    return len(eligible - enrolled), len(below)


def _write_readme(path: Path, faults: bool) -> None:
    from pipelines.synth.docs import render_truth_readme

    path.write_text(render_truth_readme(faults), encoding="utf-8")


OPT_OUT_RATE = 0.03  # about 3% of people registered a national data opt-out (NHS England: 5.4% in 2024)


def write_opt_out_list(out_dir: Path, people_csv: Path, seed: int) -> Path:
    """The national data opt-out list, as the trust's data protection office would hold it (NHS numbers only),
    in the identifiable identity zone. Who is on it is decided by a seeded hash of the person id."""
    import csv
    import hashlib

    target = out_dir / "identity" / "national_data_opt_out.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    with people_csv.open(newline="", encoding="utf-8") as src, target.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["nhs_number"])
        for row in csv.DictReader(src):
            draw = int(hashlib.sha256(f"{seed}:{row['person_id']}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
            if row.get("nhs_number") and draw < OPT_OUT_RATE:
                writer.writerow([row["nhs_number"]])
    return target
