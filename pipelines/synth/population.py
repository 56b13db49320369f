"""The county's people and how often they reach crisis services, generated a chunk at a time with numpy.

Each chunk draws its people and simulates their monthly contacts with every agency, the programme's
step ups (selected at a peak of recent contacts, so regression to the mean follows), and the latent
wellbeing behind their questionnaire scores. Nothing here formats a record; ``records`` does that.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np

from pipelines.synth import config, names
from pipelines.synth.identifiers import email_for, nhs_numbers_for, ni_number, phone_number

if TYPE_CHECKING:
    from pipelines.synth.effects import TrueEffects
    from pipelines.synth.enrolment import Enrolment, Programme

# ONS 2021 Census, England and Wales: 19 detailed ethnic groups (percent of population) and their five
# high-level groups; the NHS ethnic category (2001-based letter) each is recorded under by the NHS.
ETHNICITIES: tuple[tuple[str, str, float, str], ...] = (
    ("White", "English, Welsh, Scottish, Northern Irish or British", 74.4, "A"),
    ("White", "Irish", 0.9, "B"),
    ("White", "Gypsy or Irish Traveller", 0.1, "C"),
    ("White", "Roma", 0.2, "C"),
    ("White", "Any other White background", 6.2, "C"),
    ("Mixed or Multiple", "White and Black Caribbean", 0.9, "D"),
    ("Mixed or Multiple", "White and Black African", 0.4, "E"),
    ("Mixed or Multiple", "White and Asian", 0.8, "F"),
    ("Mixed or Multiple", "Any other Mixed or Multiple background", 0.6, "G"),
    ("Asian or Asian British", "Indian", 3.1, "H"),
    ("Asian or Asian British", "Pakistani", 2.7, "J"),
    ("Asian or Asian British", "Bangladeshi", 1.1, "K"),
    ("Asian or Asian British", "Chinese", 0.7, "R"),
    ("Asian or Asian British", "Any other Asian background", 1.6, "L"),
    ("Black, Black British, Caribbean or African", "Caribbean", 1.0, "M"),
    ("Black, Black British, Caribbean or African", "African", 2.5, "N"),
    ("Black, Black British, Caribbean or African", "Any other Black background", 0.5, "P"),
    ("Other ethnic group", "Arab", 0.6, "S"),
    ("Other ethnic group", "Any other ethnic group", 1.6, "S"),
)
CRISIS_AGENCIES: tuple[str, ...] = tuple(config.AGENCY_WEIGHTS)
ARMS: tuple[str, ...] = tuple(config.DEFAULT_EFFECTS)  # high_intensity_team, street_triage, usual_care
FEMALE_RELATIONS = frozenset({"mum", "mother", "sister", "wife", "daughter", "aunt", "nan"})
MALE_RELATIONS = frozenset({"dad", "father", "brother", "husband", "son"})
BLOOD_RELATIONS = frozenset({"mum", "mother", "dad", "father", "sister", "brother", "son", "daughter"})


@dataclass(frozen=True)
class County:
    """Reference geography: LSOAs with IMD deciles, postcodes in each, and the street each postcode covers."""

    lsoa_codes: tuple[str, ...]
    imd_deciles: np.ndarray
    postcodes: tuple[tuple[str, ...], ...]  # per LSOA
    streets: tuple[tuple[str, ...], ...]  # per LSOA, street of each postcode
    towns: tuple[str, ...]  # per LSOA
    localities: np.ndarray  # locality index per LSOA (codes LOC1..)


def make_county(seed: int) -> County:
    """The county's LSOAs, IMD deciles, postcodes and streets: the same for every chunk of people."""
    rng = np.random.default_rng([seed, 9_999_999])
    prng = random.Random(seed * 7 + 3)
    n = config.N_LSOAS
    codes = tuple(f"E019{i + 1:05d}" for i in range(n))
    deciles = rng.integers(1, 11, size=n)
    seen: set[str] = set()
    postcodes: list[tuple[str, ...]] = []
    streets: list[tuple[str, ...]] = []
    towns: list[str] = []
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    for i in range(n):
        district = 1 + i // 16
        pcs: list[str] = []
        sts: list[str] = []
        while len(pcs) < config.POSTCODES_PER_LSOA:
            pc = f"{config.POSTCODE_AREA}{district} {prng.randrange(10)}{prng.choice(letters)}{prng.choice(letters)}"
            if pc in seen:
                continue
            seen.add(pc)
            pcs.append(pc)
            sts.append(f"{prng.choice(names.STREET_NAMES)} {prng.choice(names.STREET_SUFFIXES)}")
        postcodes.append(tuple(pcs))
        streets.append(tuple(sts))
        towns.append(names.TOWNS[district % len(names.TOWNS)])
    localities = (np.arange(n) * config.N_LOCALITIES // n).astype(np.int64)
    return County(codes, deciles, tuple(postcodes), tuple(streets), tuple(towns), localities)


@dataclass
class Home:
    lsoa: int
    postcode: str
    address: str


@dataclass
class People:
    """One chunk of people: attributes (arrays) and their simulated monthly contacts."""

    start_index: int
    person_ids: list[str]
    given: list[str]
    family: list[str]
    sex: np.ndarray  # "M" / "F"
    dob: list[date]
    age: np.ndarray
    ethnicity: np.ndarray  # index into ETHNICITIES
    disability: np.ndarray
    neurodivergent: np.ndarray
    nhs: list[str]
    ni: list[str]
    phone: list[str]
    email: list[str]
    local_patient_id: list[str]
    home: list[Home]
    new_home: list[Home | None]
    move_month: np.ndarray  # -1 when the person does not move
    log_need: np.ndarray
    shares: np.ndarray  # (n, agencies)
    p_mh: np.ndarray
    relatives: list[list[tuple[str, str]]]  # (relation, name)
    # simulation
    z: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (n, months) spell shocks
    rate: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (n, months) expected contacts
    rate0: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (n, months) expected contacts, untreated
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (n, months, agencies)
    arm: np.ndarray = field(default_factory=lambda: np.zeros(0))  # -1 or index into ARMS
    step_up_month: np.ndarray = field(default_factory=lambda: np.zeros(0))  # -1 when never stepped up
    step_up_day: np.ndarray = field(default_factory=lambda: np.zeros(0))
    episode_months: np.ndarray = field(default_factory=lambda: np.zeros(0))
    locality: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (n, months) locality of the home
    imd_decile: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (n, months) IMD decile of the home
    first_eligible: np.ndarray = field(default_factory=lambda: np.zeros(0))  # first eligible month, -1: never
    pool_window_mh: np.ndarray = field(default_factory=lambda: np.zeros(0))  # MH trust contact in that window
    s136_multiplier: np.ndarray = field(default_factory=lambda: np.ones(0))  # per arm: S136 chance per MH incident
    rng: np.random.Generator | None = None  # the chunk's stream, carried from drawing to simulation
    effect_rng: np.random.Generator | None = None  # a stream only for the effects' draws (thinning)
    # crisis plans: one per person at most, in force from plan_start until plan_end (exclusive; None = still)
    plan_start: list[date | None] = field(default_factory=list)
    plan_end: list[date | None] = field(default_factory=list)
    plan_coproduced_from: list[date | None] = field(default_factory=list)  # co-produced from this date on
    plan_origin: list[str] = field(default_factory=list)  # before_period / mh_trust / high_intensity_team / ""

    def __len__(self) -> int:
        return len(self.person_ids)

    def home_at(self, i: int, month: int) -> Home:
        """Where person i lives in a month: the new home from the month of the move."""
        nh = self.new_home[i]
        if nh is not None and month >= self.move_month[i]:
            return nh
        return self.home[i]

    def plan_in_force(self, i: int, day: date) -> bool:
        """Whether person i's crisis plan is in force on ``day``."""
        return in_force(self.plan_start[i], self.plan_end[i], day)

    def plan_coproduced(self, i: int, day: date) -> bool:
        """Whether the plan in force on ``day`` was written (or reviewed) with the person by then."""
        since = self.plan_coproduced_from[i]
        return self.plan_in_force(i, day) and since is not None and since <= day


def _address(county: County, lsoa: int, k: int, rng: random.Random) -> Home:
    postcode = county.postcodes[lsoa][k]
    street = county.streets[lsoa][k]
    town = county.towns[lsoa]
    number = rng.randrange(1, 180)
    style = rng.random()
    if style < 0.12:
        line = f"Flat {rng.randrange(1, 40)}, {rng.choice(names.BUILDINGS)}, {number} {street}"
    elif style < 0.22:
        line = f"Flat {rng.randrange(1, 9)}{rng.choice('ABC')} {number} {street}"
    elif style < 0.27:
        line = f"{number}a {street}"
    else:
        line = f"{number} {street}"
    return Home(lsoa, postcode, f"{line}, {town}")


def make_people(county: County, chunk: int, start_index: int, n: int, seed: int, start: date, months: int) -> People:
    """Draw n people (their global indices start at start_index); ``simulate_county`` simulates their contacts."""
    rng = np.random.default_rng([seed, chunk])
    prng = random.Random(seed * 1_000_003 + chunk)
    idx = np.arange(start_index, start_index + n)

    sex = np.where(rng.random(n) < 0.52, "M", "F")
    # ages of people in crisis services: concentrated in working age, some older adults
    age = np.clip(np.where(rng.random(n) < 0.85, rng.normal(36, 13, n), rng.normal(70, 9, n)), 16, 95).astype(int)
    birth_offsets = rng.integers(0, 365, n)
    eth_p = np.array([e[2] for e in ETHNICITIES])
    ethnicity = rng.choice(len(ETHNICITIES), size=n, p=eth_p / eth_p.sum())
    disability = rng.random(n) < 0.24
    neurodivergent = rng.random(n) < 0.09

    deciles = county.imd_deciles
    lsoa_w = 1.0 + 0.18 * (10 - deciles)
    lsoa = rng.choice(len(deciles), size=n, p=lsoa_w / lsoa_w.sum())
    pc_k = rng.integers(0, config.POSTCODES_PER_LSOA, n)
    moves = rng.random(n) < config.MOVE_RATE
    move_month = np.where(moves, rng.integers(1, max(months, 2), n), -1)
    new_lsoa = rng.choice(len(deciles), size=n, p=lsoa_w / lsoa_w.sum())
    new_k = rng.integers(0, config.POSTCODES_PER_LSOA, n)

    log_need = (
        rng.normal(config.NEED_LOG_MEAN, config.NEED_LOG_SD, n)
        + config.DEPRIVATION_NEED_SLOPE * (10 - deciles[lsoa])
        + 0.25 * neurodivergent
        + 0.15 * disability
    ).clip(None, np.log(config.MAX_BASE_RATE))
    weights = np.array([config.AGENCY_WEIGHTS[a] for a in CRISIS_AGENCIES]) * config.AGENCY_CONCENTRATION
    shares = rng.dirichlet(weights, size=n)
    p_mh = 1.0 / (1.0 + np.exp(-(log_need + 2.3)))

    male_i = rng.integers(0, len(names.MALE_NAMES), n)
    female_i = rng.integers(0, len(names.FEMALE_NAMES), n)
    fam_i = rng.integers(0, len(names.SURNAMES), n)
    given = [
        names.MALE_NAMES[m] if s == "M" else names.FEMALE_NAMES[f]
        for s, m, f in zip(sex, male_i, female_i, strict=True)
    ]
    family = [names.SURNAMES[f] for f in fam_i]
    dob = [
        date(start.year - int(a) - 1, start.month, 1) + timedelta(days=int(o))
        for a, o in zip(age, birth_offsets, strict=True)
    ]
    nhs = [str(v) for v in nhs_numbers_for(idx)]
    person_ids = [f"P{i + 1:07d}" for i in idx]
    local_ids = [f"MH{(int(i) * 7919 + 104729) % 10_000_000:07d}" for i in idx]
    phone = [phone_number(prng) for _ in range(n)]
    email = [
        email_for(g, f, prng.randrange(10_000), prng.choice(names.EMAIL_DOMAINS))
        for g, f in zip(given, family, strict=True)
    ]
    ni = [ni_number(prng) for _ in range(n)]
    home = [_address(county, int(lsoa[i]), int(pc_k[i]), prng) for i in range(n)]
    new_home = [_address(county, int(new_lsoa[i]), int(new_k[i]), prng) if moves[i] else None for i in range(n)]
    relatives: list[list[tuple[str, str]]] = []
    for i in range(n):
        k = 1 + prng.randrange(3)
        rel = []
        for _ in range(k):
            relation = prng.choice(names.RELATIONS)
            female = relation in FEMALE_RELATIONS or (relation not in MALE_RELATIONS and prng.random() < 0.5)
            first = prng.choice(names.FEMALE_NAMES if female else names.MALE_NAMES)
            surname = family[i] if relation in BLOOD_RELATIONS else prng.choice(names.SURNAMES)
            rel.append((relation, f"{first} {surname}" if prng.random() < 0.5 else first))
        relatives.append(rel)

    people = People(
        start_index=start_index,
        person_ids=person_ids,
        given=given,
        family=family,
        sex=sex,
        dob=dob,
        age=age,
        ethnicity=ethnicity,
        disability=disability,
        neurodivergent=neurodivergent,
        nhs=nhs,
        ni=ni,
        phone=phone,
        email=email,
        local_patient_id=local_ids,
        home=home,
        new_home=new_home,
        move_month=move_month,
        log_need=log_need,
        shares=shares,
        p_mh=p_mh,
        relatives=relatives,
        rng=rng,
        effect_rng=np.random.default_rng([seed, chunk, 13]),
    )
    moved = move_month >= 0
    t = np.arange(months)[None, :]
    after = moved[:, None] & (t >= move_month[:, None])
    lsoa_t = np.where(after, new_lsoa[:, None], lsoa[:, None])
    people.locality = county.localities[lsoa_t]
    people.imd_decile = deciles[lsoa_t]
    return people


def simulate_county(chunks: list[People], months: int, programme: Programme, effects: TrueEffects) -> Enrolment:
    """Monthly contacts per agency for the whole county at once, with enrolment decided month by month.

    Each chunk keeps its own random stream (drawn in chunk order every month), so the result depends on the seed
    and the fixed chunk size only. Capacity is the county's, so the chunks are simulated together. Contacts are
    drawn at the untreated rate and then thinned (a ratio below 1) or topped up (above 1) from a separate stream
    for treated person-months, so the effects change nothing else: the same seed gives the same people, the same
    enrolment and the same contacts before step up whatever the effects.
    """
    from pipelines.synth.enrolment import Enrolment

    n_agency = len(CRISIS_AGENCIES)
    stationary_sd = config.SPELL_SD / np.sqrt(1 - config.SPELL_AR**2)
    ratio = effects.rate_ratio  # (arms, agencies)
    sizes = [len(p) for p in chunks]
    bounds = np.cumsum([0, *sizes])
    n = int(bounds[-1])
    rngs = [p.rng for p in chunks]
    assert all(r is not None for r in rngs), "simulate_county needs people drawn by make_people"

    def cat(name: str) -> np.ndarray:
        return np.concatenate([getattr(p, name) for p in chunks])

    log_need, shares, age = cat("log_need"), cat("shares"), cat("age")
    female, locality, decile = cat("sex") == "F", cat("locality"), cat("imd_decile")
    episode = np.concatenate(
        [
            r.integers(config.EPISODE_MONTHS[0], config.EPISODE_MONTHS[1] + 1, k)
            for r, k in zip(rngs, sizes, strict=True)
        ]
    )
    zt = np.concatenate([r.normal(0, stationary_sd, k) for r, k in zip(rngs, sizes, strict=True)])
    z = np.zeros((n, months))
    rate0 = np.zeros((n, months))
    rate = np.zeros((n, months))
    counts = np.zeros((n, months, n_agency), dtype=np.int64)
    arm = np.full(n, -1)
    step_up = np.full(n, -1)
    first_eligible = np.full(n, -1)
    pool_mh = np.zeros(n, dtype=bool)
    enrolment = Enrolment(programme, months)
    window = config.ENROL_WINDOW
    mh = CRISIS_AGENCIES.index("mh_contacts")
    for t in range(months):
        treated = (step_up >= 0) & (t > step_up)
        multiplier = np.where(treated[:, None], ratio[np.maximum(arm, 0)], 1.0)  # (n, agencies)
        for c, r in enumerate(rngs):
            lo, hi = bounds[c], bounds[c + 1]
            shock = r.normal(0, config.SPELL_SD, hi - lo)
            if t:
                zt[lo:hi] = zt[lo:hi] * config.SPELL_AR + shock
            base = np.exp(log_need[lo:hi] + zt[lo:hi] - stationary_sd**2 / 2)
            rate0[lo:hi, t] = np.minimum(base, config.MAX_MONTHLY_RATE)
            expected0 = rate0[lo:hi, t, None] * shares[lo:hi]
            drawn = r.poisson(expected0)
            m = multiplier[lo:hi]
            er = chunks[c].effect_rng
            down, up = m < 1, m > 1
            if down.any():
                drawn[down] = er.binomial(drawn[down], m[down])
            if up.any():
                drawn[up] += er.poisson(expected0[up] * (m[up] - 1))
            counts[lo:hi, t, :] = drawn
        z[:, t] = zt
        rate[:, t] = rate0[:, t] * (shares * multiplier).sum(axis=1)
        if t >= config.ENROL_FIRST_MONTH - 1 and t < months - 1:
            u = np.concatenate([r.random((k, 3)) for r, k in zip(rngs, sizes, strict=True)])
            recent = counts[:, max(0, t - window + 1) : t + 1, :].sum(axis=1)
            candidates = step_up < 0
            s = t + 1
            newly = _first(first_eligible, candidates & (recent.sum(axis=1) >= config.ENROL_THRESHOLD))
            first_eligible[newly] = t
            pool_mh[newly] = recent[newly, mh] > 0
            got = enrolment.step(t, recent, age, female, decile[:, s], locality[:, s], candidates, episode, u)
            enrolled = got >= 0
            step_up[enrolled] = s  # stepped up during the next month
            arm[enrolled] = got[enrolled]
    s136_mult = np.array([effects.s136_incident_multiplier(a) for a in ARMS])
    for c, (p, r) in enumerate(zip(chunks, rngs, strict=True)):
        lo, hi = bounds[c], bounds[c + 1]
        cnt = counts[lo:hi]
        # everyone in the county is known to at least one agency: a person the draw left without contacts gets one
        silent = cnt.sum(axis=(1, 2)) == 0
        if silent.any():
            s_idx = np.flatnonzero(silent)
            months_pick = r.integers(0, months, len(s_idx))
            cum = p.shares[s_idx].cumsum(axis=1)
            agency_pick = (r.random(len(s_idx))[:, None] > cum).sum(axis=1).clip(0, n_agency - 1)
            cnt[s_idx, months_pick, agency_pick] = 1
        p.z, p.rate, p.rate0, p.counts = z[lo:hi], rate[lo:hi], rate0[lo:hi], cnt
        p.arm, p.step_up_month, p.episode_months = arm[lo:hi], step_up[lo:hi], episode[lo:hi]
        p.step_up_day = r.integers(1, 29, hi - lo)
        p.first_eligible, p.pool_window_mh = first_eligible[lo:hi], pool_mh[lo:hi]
        p.s136_multiplier = s136_mult
    return enrolment


def _first(first_eligible: np.ndarray, now: np.ndarray) -> np.ndarray:
    """People eligible now for the first time."""
    return now & (first_eligible < 0)


def in_force(start: date | None, end: date | None, day: date) -> bool:
    """A plan that starts on ``start`` and ends on ``end`` (exclusive; ``None``: open) is in force on ``day``."""
    return start is not None and start <= day and (end is None or day < end)


def _month_first(start: date, month: int) -> date:
    m = start.month - 1 + month
    return date(start.year + m // 12, m % 12 + 1, 1)


def _day_in_month(start: date, month: int, day: int) -> date:
    first = _month_first(start, month)
    last = (_month_first(start, month + 1) - timedelta(days=1)).day
    return first.replace(day=min(day, last))


def draw_crisis_plans(people: People, rng: np.random.Generator, start: date, months: int) -> None:
    """Each person's crisis plan, if any: held by the MH trust for people it sees repeatedly, and written by the
    high intensity team on the step-up date for its clients who have none in force (``config.CRISIS_PLAN``)."""
    n = len(people)
    rates = config.CRISIS_PLAN
    mh = people.counts[:, :, CRISIS_AGENCIES.index("mh_contacts")]
    cumulative = mh.cumsum(axis=1)
    hit = ARMS.index("high_intensity_team")
    period_end = _month_first(start, months)
    u = rng.random((n, 6))  # one column per decision, so a rate change moves no other person's draw
    days = rng.integers(1, 29, n)
    before = rng.integers(30, 3 * 365, n)
    end_frac = rng.random(n)
    plan_start: list[date | None] = [None] * n
    plan_end: list[date | None] = [None] * n
    coproduced: list[date | None] = [None] * n
    origin = [""] * n
    for i in range(n):
        if cumulative[i, -1] >= config.CRISIS_PLAN_MIN_MH_CONTACTS:
            if u[i, 0] < rates["before_period"]:
                plan_start[i], origin[i] = start - timedelta(days=int(before[i])), "before_period"
            elif u[i, 1] < rates["written"]:
                month = int(np.argmax(cumulative[i] >= config.CRISIS_PLAN_MIN_MH_CONTACTS))
                plan_start[i], origin[i] = _day_in_month(start, month, int(days[i])), "mh_trust"
            began = plan_start[i]
            if began is not None:
                if u[i, 2] < rates["coproduced"]:
                    coproduced[i] = began
                if u[i, 3] < rates["ends"]:
                    first_day = max(began, start) + timedelta(days=60)  # a plan runs at least two months
                    if first_day < period_end:
                        plan_end[i] = first_day + timedelta(days=int(end_frac[i] * (period_end - first_day).days))
        s = int(people.step_up_month[i])
        if s < 0 or int(people.arm[i]) != hit:
            continue
        step_up = _day_in_month(start, s, int(people.step_up_day[i]))
        if in_force(plan_start[i], plan_end[i], step_up):
            plan_end[i] = None  # the team keeps the plan open
            if coproduced[i] is None and u[i, 5] < rates["coproduced_high_intensity_team"]:
                coproduced[i] = step_up  # reviewed with the person at step up
        elif u[i, 4] < rates["high_intensity_team"]:
            plan_start[i], plan_end[i], origin[i] = step_up, None, "high_intensity_team"
            coproduced[i] = step_up if u[i, 5] < rates["coproduced_high_intensity_team"] else None
    people.plan_start = plan_start
    people.plan_end = plan_end
    people.plan_coproduced_from = coproduced
    people.plan_origin = origin
