"""Who is stepped up, when and into what: enrolment as it happens in services, on observables only.

Each month ``t`` (from ``ENROL_FIRST_MONTH - 1``), every person not yet enrolled whose recorded contacts over the
last ``ENROL_WINDOW`` months reach ``ENROL_THRESHOLD`` is eligible. An eligible person is referred with a probability
that rises with how far above the threshold their recorded contacts are and depends on age, sex and deprivation
(``referral_probability``); people just below the threshold are sometimes referred too. A referral goes to street
triage more often when the person's recorded contacts are mostly police (``preferred_service``), else to the high
intensity team or usual care. The team takes referrals only where it is live (staggered by locality) and while it
has room; street triage has a county-wide cap; a referral neither can take goes to usual care or is not enrolled.
Enrolled people step up the next month (``t + 1``). Nothing here sees a person's latent need or spell shock, nor
anything after month ``t``: the evaluation can adjust for every input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from pipelines.synth import config
from pipelines.synth.population import ARMS, CRISIS_AGENCIES

TEAM = ARMS.index("high_intensity_team")
TRIAGE = ARMS.index("street_triage")
USUAL = ARMS.index("usual_care")
POLICE = CRISIS_AGENCIES.index("police_incidents")

# reasons in synth_truth/enrolment.csv
ENROLLED = "enrolled"  # referred and taken by the service referred to
NOT_REFERRED = "not_referred"
TEAM_NOT_LIVE = "team_not_live"  # referred to the team where it is not live yet
TEAM_FULL = "team_full"
TRIAGE_FULL = "triage_full"


def locality_codes() -> tuple[str, ...]:
    return tuple(f"LOC{k + 1}" for k in range(config.N_LOCALITIES))


def locality_of_lsoas(n_lsoas: int) -> np.ndarray:
    """Locality index of each LSOA: consecutive LSOAs (and so consecutive postcode districts) together."""
    return (np.arange(n_lsoas) * config.N_LOCALITIES // n_lsoas).astype(np.int64)


@dataclass(frozen=True)
class Programme:
    """Where and when the services are live, and how many open episodes they can hold."""

    team_go_live: np.ndarray  # month index per locality; -1: not live in the period
    service_start: int  # month index street triage and usual care start county-wide; -1: not in the period
    team_capacity: int  # open team episodes per live locality
    triage_capacity: int  # open street triage episodes, county-wide


def make_programme(seed: int, months: int, people: int) -> Programme:
    """The rollout (seeded order of localities) and the capacities, scaled with the county's size."""
    order = np.random.default_rng([seed, 5_550_001]).permutation(config.N_LOCALITIES)
    fractions = list(config.TEAM_ROLLOUT_FRACTIONS) + [None] * config.N_LOCALITIES
    go_live = np.full(config.N_LOCALITIES, -1, dtype=np.int64)
    for rank, loc in enumerate(order.tolist()):
        frac = fractions[rank]
        if frac is None:
            continue
        g = max(config.ENROL_FIRST_MONTH, int(frac * months))
        go_live[loc] = g if g < months else -1
    start = config.ENROL_FIRST_MONTH if months > config.ENROL_FIRST_MONTH else -1
    return Programme(
        team_go_live=go_live,
        service_start=start,
        team_capacity=max(config.TEAM_CAPACITY_MIN, round(config.TEAM_CAPACITY_PER_1000 * people / 1000)),
        triage_capacity=max(config.TRIAGE_CAPACITY_MIN, round(config.TRIAGE_CAPACITY_PER_1000 * people / 1000)),
    )


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def referral_probability(recent: np.ndarray, age: np.ndarray, female: np.ndarray, imd_decile: np.ndarray) -> np.ndarray:
    """P(referred this month) from recorded contacts by agency over the window (n, agencies), age, sex, IMD decile.

    Eligible people (threshold reached): logistic in how far above the threshold (at most 10 counted); just below
    it (``REFERRAL_BELOW_MIN`` to threshold - 1): a flat rate; else 0.
    """
    r = config.REFERRAL
    total = recent.sum(axis=1)
    above = np.minimum(total - config.ENROL_THRESHOLD, 10)
    x = (
        r["intercept"]
        + r["per_contact_above"] * above
        + r["age_under_25"] * (age < 25)
        + r["age_65_plus"] * (age >= 65)
        + r["female"] * female
        + r["per_imd_decile_more_deprived"] * (10 - imd_decile)
    )
    p = np.where(total >= config.ENROL_THRESHOLD, _logistic(x), 0.0)
    below = (total >= config.REFERRAL_BELOW_MIN) & (total < config.ENROL_THRESHOLD)
    return np.where(below, config.REFERRAL_BELOW_THRESHOLD, p)


def preferred_service(recent: np.ndarray, age: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The service a referral is made to (index into ARMS), from the recorded agency mix and age; ``u`` uniform."""
    c = config.SERVICE_CHOICE
    total = np.maximum(recent.sum(axis=1), 1)
    police_share = recent[:, POLICE] / total
    p_triage = _logistic(c["triage_intercept"] + c["triage_per_police_share"] * police_share)
    p_team = (1 - p_triage) * _logistic(c["team_intercept"] + c["team_age_65_plus"] * (age >= 65))
    return np.where(u < p_triage, TRIAGE, np.where(u < p_triage + p_team, TEAM, USUAL))


@dataclass
class Decision:
    """One eligible or referred person-month (synth_truth/enrolment.csv)."""

    person: int  # county-wide index
    month: int  # the month the window ends (decision); a step up is in month + 1
    recorded_contacts: int
    eligible: bool
    referred: bool
    referred_to: int  # index into ARMS, -1 when not referred
    intervention: int  # index into ARMS, -1 when not enrolled
    reason: str


@dataclass
class Enrolment:
    """The services' state through the period: open episodes per locality and county-wide, and every decision."""

    programme: Programme
    months: int
    team_open: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # (localities, months)
    triage_open: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # (months,)
    decisions: list[Decision] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.team_open = np.zeros((config.N_LOCALITIES, self.months), dtype=np.int64)
        self.triage_open = np.zeros(self.months, dtype=np.int64)

    def step(
        self,
        t: int,
        recent: np.ndarray,
        age: np.ndarray,
        female: np.ndarray,
        imd_decile: np.ndarray,
        locality: np.ndarray,
        candidates: np.ndarray,
        episode: np.ndarray,
        u: np.ndarray,
    ) -> np.ndarray:
        """Month ``t``'s referrals and enrolments; returns the arm of each person stepped up in ``t + 1`` (-1: none).

        Inputs are what services record and hold: contacts by agency over the window (n, agencies), age and sex,
        the IMD decile and locality of the home the person will step up from, who is not yet enrolled, the
        episode length the service would plan, and independent uniforms (n, 3).
        """
        n = len(candidates)
        arm = np.full(n, -1, dtype=np.int64)
        s = t + 1
        if self.programme.service_start < 0 or s < self.programme.service_start or s >= self.months:
            return arm
        total = recent.sum(axis=1)
        eligible = candidates & (total >= config.ENROL_THRESHOLD)
        p = referral_probability(recent, age, female, imd_decile)
        referred = candidates & (u[:, 0] < p)
        to = preferred_service(recent, age, u[:, 1])
        for i in np.flatnonzero(eligible & ~referred).tolist():
            self.decisions.append(Decision(i, t, int(total[i]), True, False, -1, -1, NOT_REFERRED))
        who = np.flatnonzero(referred)
        # referrals are taken in order of recorded need (most contacts first), ties by index
        for i in who[np.argsort(-total[who], kind="stable")].tolist():
            want, loc, e = int(to[i]), int(locality[i]), int(episode[i])
            got, reason = want, ENROLLED
            if want == TEAM:
                g = int(self.programme.team_go_live[loc])
                if g < 0 or s < g:
                    reason = TEAM_NOT_LIVE
                elif self.team_open[loc, s] >= self.programme.team_capacity:
                    reason = TEAM_FULL
            elif want == TRIAGE and self.triage_open[s] >= self.programme.triage_capacity:
                reason = TRIAGE_FULL
            if reason != ENROLLED:
                got = USUAL if u[i, 2] < config.FALLBACK_TO_USUAL_CARE else -1
            if got == TEAM:
                self.team_open[loc, s : s + e] += 1
            elif got == TRIAGE:
                self.triage_open[s : s + e] += 1
            arm[i] = got
            self.decisions.append(Decision(i, t, int(total[i]), bool(eligible[i]), True, want, got, reason))
        return arm


def go_live_dates(programme: Programme, first: date) -> dict[str, str]:
    """Locality code -> the team's go-live date (ISO, first of the month), blank when not live in the period."""
    from pipelines.synth.records import month_start

    out = {}
    for k, code in enumerate(locality_codes()):
        g = int(programme.team_go_live[k])
        out[code] = month_start(first, g).isoformat() if g >= 0 else ""
    return out
