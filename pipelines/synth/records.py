"""One agency record at a time: identity as the agency holds it, the feed's own codes, and the narrative.

Builders return ``Draft`` records (column -> text, plus the truth about them). The generator sorts
them, gives them the agency's record ids, adds messiness and writes them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from pipelines.feeds import FEED_SPECS
from pipelines.feeds.base import Role
from pipelines.feeds.council_contacts import ETHNICITY_CODES as COUNCIL_ETHNICITY_CODES
from pipelines.feeds.mh_outcome_measures import MEASURE_BY_CODE
from pipelines.synth import config, names
from pipelines.synth.identifiers import (
    format_dob_free_text,
    format_nhs_number,
    format_ni_number,
    format_phone,
    format_postcode,
    mistype_nhs_number,
    nickname,
    swap_day_month,
    typo,
)
from pipelines.synth.narratives import (
    FEEDBACK_DECOYS,
    FEEDBACK_THEMES,
    MH_CUE_CONTEXTS,
    MH_TEXT,
    Mark,
    compose,
    plain_filler,
)
from pipelines.synth.population import ARMS, ETHNICITIES, People

PERSON_FIELD_ENTITY = {
    "given_name": "PERSON",
    "family_name": "PERSON",
    "full_name": "PERSON",
    "nhs_number": "NHS_NUMBER",
    "date_of_birth": "DATE_OF_BIRTH",
    "postcode": "UK_POSTCODE",
    "address": "STREET_ADDRESS",
    "phone": "PHONE_NUMBER",
    "email": "EMAIL_ADDRESS",
}


@dataclass
class Draft:
    """A record before it has its id: values by native column, and its truth."""

    feed: str
    month: int
    at: datetime
    person: int  # index within the chunk
    values: dict[str, str]
    is_mh: str = ""  # "1"/"0" where the true nature is known, else ""
    errors: list[str] = field(default_factory=list)
    spans: list[tuple[str, str, str, int, int]] = field(default_factory=list)  # column, type, value, start, end
    planted: list[tuple[str, str]] = field(default_factory=list)  # (kind, column) for messiness.csv
    gap: tuple[str, str] | None = None  # (column, code): care not provided, for crisis_care_gaps.csv
    plan_in_force: bool = False  # the person's crisis plan was in force at the event
    marks: list[tuple[str, Mark]] = field(default_factory=list)  # column, a sentence the builder planted


@dataclass
class Identity:
    given: str
    family: str
    dob: date | None
    sex: str
    address: str
    postcode: str
    lsoa: str
    nhs: str | None
    phone: str
    email: str
    errors: list[str]


def _fmt_date(spec_name: str, value: date | None) -> str:
    if value is None:
        return ""
    return value.strftime(FEED_SPECS[spec_name].date_formats[0])


def _fmt_dt(spec_name: str, value: datetime) -> str:
    return value.strftime(FEED_SPECS[spec_name].datetime_formats[0])


class Builder:
    """Builds the drafts of one chunk of people. Holds the chunk's random stream, so order matters."""

    def __init__(self, people: People, county_lsoas: tuple[str, ...], rng: random.Random) -> None:
        self.p = people
        self.lsoas = county_lsoas
        self.rng = rng
        self.fill_plain = plain_filler(rng)
        self.salt = rng.getrandbits(64)  # seeds each person's equality data, held once per service
        self._equality: dict[tuple[int, str], dict[str, str]] = {}

    # -- identity ---------------------------------------------------------------------------------------
    def identity(self, i: int, feed: str, month: int) -> Identity:
        """The person's identity as this agency holds it: with nicknames, typos, swaps, blanks and stale addresses."""
        p, rng, err = self.p, self.rng, config.IDENTIFIER_ERRORS
        errors: list[str] = []
        given, family = p.given[i], p.family[i]
        if rng.random() < err["nickname"]:
            nick = nickname(given, rng)
            if nick:
                given = nick
                errors.append("nickname")
        if rng.random() < err["name_typo"]:
            if rng.random() < 0.5:
                given = typo(given, rng)
            else:
                family = typo(family, rng)
            errors.append("name_typo")
        if rng.random() < err["swapped_names"]:
            given, family = family, given
            errors.append("swapped_names")
        dob: date | None = p.dob[i]
        if rng.random() < err["dob_day_month_swapped"]:
            swapped = swap_day_month(p.dob[i])
            if swapped is not None:
                dob = swapped
                errors.append("dob_day_month_swapped")
        if rng.random() < err["dob_missing"]:
            dob = None
            errors.append("dob_missing")
        home = p.home_at(i, month)
        if home is not p.home[i] and rng.random() < err["stale_address"]:
            home = p.home[i]
            errors.append("stale_address")
        postcode = home.postcode
        if rng.random() < err["postcode_missing"]:
            postcode = ""
            errors.append("postcode_missing")
        nhs: str | None = None
        rate = config.NHS_NUMBER_PRESENT.get(feed, 0.0)
        if rng.random() < rate:
            nhs = p.nhs[i]
            if rng.random() < config.NHS_NUMBER_INVALID:
                nhs = mistype_nhs_number(nhs, rng)
                errors.append("nhs_number_invalid")
        else:
            errors.append("nhs_number_missing")
        sex = str(p.sex[i]) if rng.random() > 0.02 else "U"
        return Identity(
            given, family, dob, sex, home.address, postcode, self.lsoas[home.lsoa], nhs, p.phone[i], p.email[i], errors
        )

    # -- narratives -------------------------------------------------------------------------------------
    def narrative(
        self,
        draft: Draft,
        column: str,
        i: int,
        uppercase: bool = False,
        context: tuple[str, ...] = (),
        tagged: list[tuple[str, str]] | None = None,
    ) -> None:
        """Write a narrative into ``column`` and record where its planted identifiers and tagged sentences are."""
        p, rng = self.p, self.rng
        staff_titles = names.STAFF_TITLES_POLICE if draft.feed == "police_incidents" else names.STAFF_TITLES_HEALTH
        relation, relative = rng.choice(p.relatives[i])
        home = p.home_at(i, draft.month)

        def fill(slot: str) -> str:
            if slot == "name":
                style = rng.randrange(6)
                if style == 0:
                    return p.given[i]
                if style == 1:
                    return f"{p.given[i]} {p.family[i]}"
                if style == 2:
                    title = "Mr" if p.sex[i] == "M" else rng.choice(("Ms", "Miss", "Mrs"))
                    return f"{title}\x00{p.family[i]}"
                if style == 3:
                    return f"{p.family[i].upper()} {p.given[i]}"
                if style == 4:
                    return f"{nickname(p.given[i], rng) or p.given[i]} {p.family[i]}"
                return f"{p.given[i]} {p.family[i]}".upper()
            if slot == "given":
                return p.given[i] if rng.random() < 0.85 else (nickname(p.given[i], rng) or p.given[i])
            if slot == "family":
                return p.family[i]
            if slot == "relname":
                return relative
            if slot == "relation":
                return relation
            if slot == "staffname":
                first = rng.choice(names.FEMALE_NAMES if rng.random() < 0.5 else names.MALE_NAMES)
                last = rng.choice(names.SURNAMES)
                style = rng.randrange(4)
                if style == 0:
                    return f"{rng.choice(staff_titles)}\x00{last}"
                if style == 1:
                    return f"{rng.choice(staff_titles)}\x00{first} {last}"
                if style == 2:
                    return first
                return f"{first} {last}"
            if slot == "phone":
                return format_phone(p.phone[i], rng)
            if slot == "address":
                return home.address if rng.random() < 0.6 else home.address.rsplit(",", 1)[0]
            if slot == "postcode":
                return format_postcode(home.postcode, rng, messy=0.5)
            if slot == "nhs":
                return format_nhs_number(p.nhs[i], rng)
            if slot == "dob":
                return format_dob_free_text(p.dob[i], rng)
            if slot == "email":
                return p.email[i]
            if slot == "ni":
                return format_ni_number(p.ni[i], rng)
            value = self.fill_plain(slot)
            return value if value is not None else slot

        marks: list[Mark] = []
        text, spans = compose(
            draft.feed, fill, rng, uppercase=uppercase, context=context, tagged=tagged or (), marks=marks
        )
        draft.values[column] = text
        draft.spans.extend((column, s.entity_type, s.value, s.start, s.end) for s in spans)
        draft.marks.extend((column, m) for m in marks)

    def mh_sentences(self, feed: str, is_mh: bool, silent: bool, values: dict[str, str]) -> list[tuple[str, str]]:
        """The mental-health sentences of a police, ambulance or ED narrative, tagged ``mh:<kind>``.

        A truly MH record gets cues (always when its codes carry no signal), unless it is one of the silent
        records, which get only sentences that other contacts share; a non-MH record sometimes gets a confounder.
        """
        rng, pools = self.rng, MH_TEXT[feed]
        if not is_mh:
            if rng.random() >= config.MH_CONFOUNDER[feed]:
                return []
            kind = "negated" if rng.random() < config.MH_CONFOUNDER_NEGATED else "other_sense"
            return [(f"mh:{kind}", rng.choice(pools[kind]))]
        neutral = [("mh:neutral", rng.choice(pools["neutral"]))]
        if silent:
            return neutral
        if rng.random() >= config.MH_TEXT_CUE[feed] and mh_code_signal(feed, values):
            return neutral
        k = 2 if rng.random() < config.MH_TEXT_SECOND_CUE else 1
        cues = [("mh:cue", t) for t in rng.sample(pools["cue"], k)]
        return cues + (neutral if rng.random() < 0.3 else [])

    def equality(self, i: int, feed: str) -> dict[str, str]:
        """The person's ethnicity, disability and support reason as this service holds them: once per person, from
        their truth, with the service's recording gaps and errors (``config.ETHNICITY_RECORDING`` and below)."""
        key = (i, feed)
        held = self._equality.get(key)
        if held is not None:
            return held
        p = self.p
        rng = random.Random(f"{self.salt}:{p.person_ids[i]}:{feed}")  # str seeds are hashed with SHA-512: stable
        eth = int(p.ethnicity[i])
        if feed == "mh_contacts":
            held = {
                "Ethnic_Category": _recorded_ethnicity(rng, eth, feed, NHS_ETHNIC_CODES, "Z", "99"),
                "Disability": _recorded_flag(rng, bool(p.disability[i]), config.DISABILITY_RECORDING[feed]),
                "Autism_LD_Flag": _recorded_flag(
                    rng, bool(p.neurodivergent[i]), config.NEURODIVERGENCE_RECORDING[feed]
                ),
            }
        else:
            held = {
                "Ethnicity": _recorded_ethnicity(rng, eth, feed, COUNCIL_ETHNIC_CODES, "REF", "NK"),
                "Disability": _recorded_flag(rng, bool(p.disability[i]), config.DISABILITY_RECORDING[feed]),
                "Primary_Support_Reason": ""
                if rng.random() < config.PRIMARY_SUPPORT_REASON_BLANK
                else primary_support_reason(rng, bool(p.neurodivergent[i]), bool(p.disability[i]), int(p.age[i])),
            }
        self._equality[key] = held
        return held

    def when(self, start: date, month: int) -> datetime:
        """A random moment in the month, weighted to evenings and nights as crisis calls are."""
        first = month_start(start, month)
        days = days_in_month(first)
        rng = self.rng
        hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
        return datetime(first.year, first.month, 1 + rng.randrange(days), hour, rng.randrange(60), rng.randrange(60))

    def _care_gap(self, d: Draft, column: str, code: str) -> bool:
        """Whether this contact ends without assessment or treatment (``config.CRISIS_CARE_GAP``), marking it."""
        rate = config.CRISIS_CARE_GAP[d.feed][int(d.plan_in_force)]
        if self.rng.random() < rate:
            d.gap = (column, code)
            return True
        return False

    def _treated(self, i: int, month: int) -> str | None:
        s = int(self.p.step_up_month[i])
        if s >= 0 and month > s:
            return ARMS[int(self.p.arm[i])]
        return None

    # -- feeds ------------------------------------------------------------------------------------------
    def police(self, i: int, month: int, start: date) -> Draft:
        """One CAD incident log; whether it is truly mental-health related is drawn from the person's propensity."""
        rng, feed = self.rng, "police_incidents"
        at = self.when(start, month)
        is_mh = rng.random() < self.p.p_mh[i]
        ident = self.identity(i, feed, month)
        absent = config.MH_SIGNAL_ABSENT[feed]
        silent = is_mh and rng.random() < absent
        if silent:  # no signal anywhere: codes from the non-signal ones, flag N or blank
            opening = _pick(rng, POLICE_OPEN_MH_SILENT)
            closing = _pick(rng, POLICE_CLOSE_MH_SILENT)
            grade = _pick(rng, {"1": 0.3, "2": 0.45, "3": 0.15, "4": 0.1})
            flag = _pick(rng, MH_FLAG_SILENT)
        elif is_mh:
            opening = _pick(rng, POLICE_OPEN_MH_REST)
            # the silent records never close S136: the others do a little more often, so the rate holds
            treated = self._treated(i, month)
            effect = float(self.p.s136_multiplier[ARMS.index(treated)]) if treated else 1.0
            s136 = config.S136_PER_MH_INCIDENT * effect / (1 - absent)
            closing = "S136" if rng.random() < s136 else _pick(rng, POLICE_CLOSE_MH)
            grade = _pick(rng, {"1": 0.3, "2": 0.45, "3": 0.15, "4": 0.1})
            flag = _pick(rng, MH_FLAG_REST)
        else:
            opening = _pick(rng, POLICE_OPEN_OTHER)
            closing = _pick(rng, POLICE_CLOSE_OTHER)
            grade = _pick(rng, {"1": 0.1, "2": 0.4, "3": 0.35, "4": 0.15})
            flag = _pick(rng, config.MH_FLAG_GIVEN_NOT_MH)
        closed = at + timedelta(minutes=rng.randrange(15, 600))
        v = {
            "OPENED_DT": _fmt_dt(feed, at),
            "CLOSED_DT": _fmt_dt(feed, closed) if rng.random() > 0.03 else "",
            "GRADE": grade,
            "OPENING_CODE": opening,
            "CLOSING_CODE": closing,
            "MH_FLAG": flag,
            "UNITS_ASSIGNED": "" if grade == "4" else str(1 + min(3, int(rng.expovariate(1.2)))),
            "SUBJECT_SURNAME": ident.family.upper(),
            "SUBJECT_FORENAMES": ident.given,
            "SUBJECT_DOB": _fmt_date(feed, ident.dob),
            "SUBJECT_SEX": ident.sex,
            "SUBJECT_ADDRESS": ident.address.upper() if rng.random() < 0.5 else ident.address,
            "SUBJECT_POSTCODE": format_postcode(ident.postcode, rng, 0.2) if ident.postcode else "",
            "SUBJECT_TEL": format_phone(ident.phone, rng) if rng.random() < 0.6 else "",
            "SUBJECT_NHS_NO": format_nhs_number(ident.nhs, rng) if ident.nhs else "",
        }
        d = Draft(feed, month, at, i, v, is_mh="1" if is_mh else "0", errors=ident.errors)
        mh_text = self.mh_sentences(feed, is_mh, silent, v)
        context = (closing,) if is_mh else ("other", closing)
        self.narrative(d, "LOG_NARRATIVE", i, rng.random() < 0.4, context, mh_text)
        return d

    def ambulance(self, i: int, month: int, start: date) -> Draft:
        """One 999 call to the ambulance service."""
        rng, feed = self.rng, "ambulance_calls"
        at = self.when(start, month)
        is_mh = rng.random() < self.p.p_mh[i]
        ident = self.identity(i, feed, month)
        absent = config.MH_SIGNAL_ABSENT[feed]
        silent = is_mh and rng.random() < absent
        complaint = _pick(
            rng, AMB_COMPLAINT_MH_SILENT if silent else AMB_COMPLAINT_MH_REST if is_mh else AMB_COMPLAINT_OTHER
        )
        category = _pick(rng, {"1": 0.05, "2": 0.4, "3": 0.3, "4": 0.1, "5": 0.15})
        d = Draft(feed, month, at, i, {}, is_mh="1" if is_mh else "0", errors=ident.errors)
        d.plan_in_force = self.p.plan_in_force(i, at.date())
        # category 5 calls are closed by a clinician on the phone
        outcome = "hear_and_treat" if category == "5" else "see_and_convey" if rng.random() < 0.62 else "see_and_treat"
        arrived = outcome != "hear_and_treat"
        if self._care_gap(d, "Outcome", "closed_without_assessment"):
            # stood down, call abandoned or patient not found: no clinician assessed the person
            outcome = "closed_without_assessment"
            arrived = rng.random() < config.AMBULANCE_GAP_RESOURCE_ARRIVED
        dest = ""
        if outcome == "see_and_convey":
            place_of_safety = 0.1 / (1 - absent) if is_mh and not silent else 0.0
            dest = _pick(rng, {"RX101": 0.55, "RX102": 0.3, "RX201": place_of_safety, "RX301": 0.05})
        secs = str(int(rng.lognormvariate(6.6 + 0.3 * int(category), 0.5))) if arrived else ""
        if silent:
            flag_p = 0.0
        elif is_mh:  # the documented sensitivity holds over all MH calls, silent ones included
            flag_p = config.AMBULANCE_MH_FLAG_SENSITIVITY / (1 - absent)
        else:
            flag_p = config.AMBULANCE_MH_FLAG_FALSE_POSITIVE
        mh_flag = "Yes" if rng.random() < flag_p else "No"
        v = {
            "CallDateTime": _fmt_dt(feed, at),
            "Category": category,
            "ChiefComplaint": complaint,
            "Outcome": outcome,
            "DestinationCode": dest,
            "ResponseSecs": secs,
            "MHRelated": mh_flag,
            "NHSNumber": format_nhs_number(ident.nhs, rng) if ident.nhs else "",
            "PatientName": f"{ident.family.upper()}, {ident.given}",
            "PatientDOB": _fmt_date(feed, ident.dob),
            "PatientSex": {"M": "Male", "F": "Female"}.get(ident.sex, "Unknown"),
            "PatientAddress": ident.address,
            "PatientPostcode": format_postcode(ident.postcode, rng, 0.1) if ident.postcode else "",
            "CallbackNumber": format_phone(ident.phone, rng) if rng.random() < 0.9 else "",
        }
        d.values = v
        # nobody assessed the person on a care gap: no findings, only why the call came in
        context = (outcome,) if d.gap or is_mh else ("other", outcome)
        self.narrative(d, "ClinicalNotes", i, context=context, tagged=self.mh_sentences(feed, is_mh, silent, v))
        return d

    def ed(self, i: int, month: int, start: date) -> Draft:
        """One ED attendance in ECDS shape."""
        rng, feed = self.rng, "ed_attendances"
        at = self.when(start, month)
        is_mh = rng.random() < self.p.p_mh[i]
        ident = self.identity(i, feed, month)
        absent = config.MH_SIGNAL_ABSENT[feed]
        silent = is_mh and rng.random() < absent
        complaint = _pick(rng, ED_COMPLAINT_MH_SILENT if silent else ED_COMPLAINT_MH if is_mh else ED_COMPLAINT_OTHER)
        d = Draft(feed, month, at, i, {}, is_mh="1" if is_mh else "0", errors=ident.errors)
        d.plan_in_force = self.p.plan_in_force(i, at.date())
        status = "LBA" if rng.random() < config.ED_GAP_LEFT_BEFORE_ASSESSMENT else "LBT"
        if self._care_gap(d, "EC_Discharge_Status", status):
            destination = _pick(rng, {"HOME": 0.85, "NFA": 0.15})  # they left: nobody admitted or transferred them
        else:
            status = _pick(rng, {"TREATED": 0.94, "STREAMED": 0.06})
            destination = _pick(
                rng,
                {
                    "HOME": 0.7,
                    "ADMIT": 0.14,
                    "MH_UNIT": 0.06 / (1 - absent) if is_mh and not silent else 0.0,
                    "POLICE": 0.02,
                    "OTHER_HOSP": 0.03,
                    "NFA": 0.05,
                },
            )
        liaison = 0.0 if silent else 0.7 / (1 - absent) if is_mh else 0.03
        eth = ETHNICITIES[int(self.p.ethnicity[i])][3]
        roll = rng.random()
        eth = "Z" if roll < config.ED_ETHNICITY_NOT_STATED else "99" if roll < ED_ETHNICITY_BLANK else eth
        nhs_status = ("01" if rng.random() < 0.9 else "02") if ident.nhs else rng.choice(("03", "07"))
        v = {
            "Arrival_Date": _fmt_date(feed, at.date()),
            "Arrival_Time": at.strftime("%H:%M"),
            "EC_Arrival_Mode": _pick(
                rng,
                {
                    "1048031000000100": 0.4,
                    "1048041000000109": 0.06 if is_mh else 0.01,
                    "1048071000000103": 0.5,
                    "1048061000000105": 0.04,
                },
            ),
            "EC_Chief_Complaint": complaint,
            "EC_Acuity": _pick(rng, {"1": 0.03, "2": 0.25, "3": 0.45, "4": 0.22, "5": 0.05}),
            "EC_Discharge_Status": status,
            "EC_Discharge_Destination": destination,
            "Liaison_Psychiatry_Referral": "Y" if rng.random() < liaison else "N",
            "NHS_Number": format_nhs_number(ident.nhs, rng) if ident.nhs else "",
            "NHS_Number_Status_Indicator_Code": nhs_status,
            "Patient_Surname": ident.family,
            "Patient_Forename": ident.given,
            "Person_Birth_Date": _fmt_date(feed, ident.dob),
            "Person_Stated_Gender_Code": {"M": "1", "F": "2"}.get(ident.sex, "X"),
            "Ethnic_Category": eth,
            "Postcode_Usual_Address": ident.postcode,
            "LSOA_Of_Residence": ident.lsoa if ident.postcode and rng.random() < 0.95 else "",
        }
        d.values = v
        context = (status,) if is_mh else ("other", status)
        context += ("liaison",) if v["Liaison_Psychiatry_Referral"] == "Y" else ()
        self.narrative(d, "Clinical_Notes", i, context=context, tagged=self.mh_sentences(feed, is_mh, silent, v))
        return d

    def mh(self, i: int, month: int, start: date) -> Draft:
        """One MH trust contact, saying whether the person's crisis plan is in force (``People.plan_start``)."""
        rng, feed, p = self.rng, "mh_contacts", self.p
        at = self.when(start, month)
        ident = self.identity(i, feed, month)
        d = Draft(feed, month, at, i, {}, is_mh="1", errors=ident.errors)
        d.plan_in_force = p.plan_in_force(i, at.date())
        ctype = _pick(rng, MH_TYPES)
        attendance = "ATT"
        if ctype in {"CRISIS_FOLLOWUP", "OUTPATIENT", "HOME_TREATMENT"}:
            attendance = _pick(rng, {"ATT": 0.7, "DNA": 0.25, "CANC_PT": 0.03, "CANC_TR": 0.02})
        elif ctype == "CRISIS_ASSESS":
            if self._care_gap(d, "Attendance", "CANC_TR"):
                attendance = "CANC_TR"  # the trust could not provide the assessment
            else:
                attendance = _pick(rng, {"ATT": 0.9, "DNA": 0.08, "CANC_PT": 0.02})
        section = ""
        if ctype == "MHA_ASSESS" and rng.random() < 0.55:
            section = _pick(rng, {"S2": 0.7, "S3": 0.25, "S4": 0.05})
        elif ctype == "ADMISSION" and rng.random() < 0.35:
            section = _pick(rng, {"S2": 0.6, "S3": 0.4})
        elif ctype == "CRISIS_ASSESS" and attendance == "ATT" and rng.random() < 0.07:  # detained only if seen
            section = _pick(rng, {"S136": 0.8, "S135": 0.1, "S5_2": 0.1})
        treated = self._treated(i, month)
        plan = d.plan_in_force
        coproduced = p.plan_coproduced(i, at.date())
        if rng.random() < config.CRISIS_PLAN["recording_error"]:
            plan = not plan  # the flag on this contact contradicts the plan the trust holds
            coproduced = False
            d.planted.append(("crisis_plan_misrecorded", "Crisis_Plan_Recorded"))
        if treated == "high_intensity_team" and rng.random() < 0.5:
            team = "HIT"
        elif treated == "street_triage" and ctype == "CRISIS_ASSESS" and rng.random() < 0.4:
            team = "STREET_TRIAGE"
        elif ctype in {"ADMISSION", "DISCHARGE"}:
            team = "INPATIENT"
        elif ctype in {"CRISIS_ASSESS", "CRISIS_FOLLOWUP", "HOME_TREATMENT", "MHA_ASSESS"}:
            team = "CRHT" if rng.random() < 0.85 else "LIAISON"
        else:
            team = "CMHT"
        v = {
            "Local_Patient_ID": p.local_patient_id[i],
            "NHS_Number": format_nhs_number(ident.nhs, rng) if ident.nhs else "",
            "Forename": ident.given,
            "Surname": ident.family,
            "DOB": _fmt_date(feed, ident.dob),
            "Gender": ident.sex,
            **self.equality(i, feed),
            "Postcode": ident.postcode,
            "Phone": format_phone(ident.phone, rng) if rng.random() < 0.8 else "",
            "Contact_Date": _fmt_dt(feed, at),
            "Contact_Type": ctype,
            "Attendance": attendance,
            "Referral_Source": _pick(rng, MH_REFERRAL_SOURCES) if ctype == "REFERRAL" else "",
            "MHA_Section": section,
            "Crisis_Plan_Recorded": "Y" if plan else "N",
            "Crisis_Plan_Coproduced": ("Y" if coproduced else "N") if plan else "",
            "Team_Code": team,
        }
        d.values = v
        extra = ("DNA",) if attendance == "DNA" else ()
        extra += ("detained",) if section else ()
        extra += ("coproduced",) if plan and coproduced and rng.random() < 0.3 else ()
        # a contact that did not happen gets no "assessment completed" sentence
        self.narrative(d, "Clinician_Note", i, context=((ctype,) if attendance == "ATT" else ()) + extra)
        return d

    def council(self, i: int, month: int, start: date) -> Draft:
        """One housing or adult social care contact."""
        rng, feed = self.rng, "council_contacts"
        at = self.when(start, month)
        ident = self.identity(i, feed, month)
        service = "HOUSING" if rng.random() < 0.6 else "ASC"
        if service == "HOUSING":
            reason = _pick(
                rng,
                {"HOMELESS": 0.3, "TENANCY_RISK": 0.2, "ARREARS": 0.2, "ASB_COMPLAINT": 0.15, "REPAIRS": 0.15},
            )
            outcome = _pick(rng, {"ADVICE": 0.4, "TEMP_ACCOM": 0.2, "REFERRAL": 0.25, "NFA": 0.15})
            nhs = ""
        else:
            reason = _pick(rng, {"SAFEGUARDING": 0.3, "CARE_ASSESS": 0.35, "CARER_SUPPORT": 0.15, "WELFARE_CHECK": 0.2})
            outcome = _pick(rng, {"ASSESSMENT": 0.4, "S42_ENQUIRY": 0.15, "REFERRAL": 0.25, "ADVICE": 0.1, "NFA": 0.1})
            nhs = ident.nhs or ""
        v = {
            "ContactDate": _fmt_dt(feed, at),
            "Service": service,
            "Reason": reason,
            "Outcome": outcome,
            "ClientName": f"{ident.given} {ident.family.upper()}",
            "ClientDOB": _fmt_date(feed, ident.dob),
            "AddressLine": ident.address,
            "PostCode": ident.postcode,
            "LSOA": ident.lsoa if rng.random() < 0.97 else "",
            "Telephone": format_phone(ident.phone, rng) if rng.random() < 0.7 else "",
            "Email": ident.email if rng.random() < 0.3 else "",
            "NHSNo": format_nhs_number(nhs, rng) if nhs else "",
        }
        if service == "ASC":  # housing records no equality data
            v.update(self.equality(i, feed))
            if reason == "CARER_SUPPORT":  # the client is the carer: no support reason of their own is recorded
                v["Primary_Support_Reason"] = ""
        errors = [e for e in ident.errors if e != "nhs_number_missing"] + ([] if nhs else ["nhs_number_missing"])
        d = Draft(feed, month, at, i, v, errors=errors)
        self.narrative(d, "CaseNote", i, context=(reason, outcome))
        return d

    def feedback(self, i: int, at: datetime, month: int, service: str) -> Draft:
        """Feedback left after a contact; rating tracks how the person is doing and the service."""
        rng, feed, p = self.rng, "feedback", self.p
        treated = self._treated(i, month)
        if treated == "high_intensity_team" and rng.random() < 0.4:
            service = "HIT"
        elif treated == "street_triage" and rng.random() < 0.4:
            service = "STREET_TRIAGE"
        mean = 3.0 + (0.8 if service in {"HIT", "STREET_TRIAGE"} else 0.0) - 0.3 * float(p.z[i, month])
        stars = int(min(5, max(1, round(rng.gauss(mean, 1.2)))))
        rating = str(stars)
        anonymous = rng.random() < config.FEEDBACK_ANONYMOUS
        ident = self.identity(i, feed, month)
        v = {
            "SubmittedAt": _fmt_dt(feed, at),
            "Service": service,
            "Channel": _pick(rng, {"WEB": 0.55, "SMS": 0.25, "PAPER": 0.12, "PHONE": 0.08}),
            "Rating": rating if rng.random() > 0.05 else "",
            "Anonymous": "true" if anonymous else "false",
            "RespondentName": "",
            "RespondentDOB": "",
            "ContactEmail": "",
            "ContactPhone": "",
            "Postcode": "",
        }
        if not anonymous:
            style = rng.randrange(4)
            v["RespondentName"] = (
                f"{ident.given} {ident.family}"
                if style < 2
                else ident.given
                if style == 2
                else f"{ident.given} {ident.family}".lower()
            )
            v["RespondentDOB"] = _fmt_date(feed, ident.dob) if rng.random() < 0.2 else ""
            v["ContactEmail"] = ident.email if rng.random() < 0.5 else ""
            v["ContactPhone"] = format_phone(ident.phone, rng) if rng.random() < 0.4 else ""
            v["Postcode"] = format_postcode(ident.postcode, rng, 0.6) if ident.postcode and rng.random() < 0.5 else ""
        d = Draft(feed, month, at, i, v, errors=[e for e in ident.errors if e != "nhs_number_missing"])
        # themes follow the rating the person gave, even where the platform lost it
        tagged = feedback_themes(rng, service, stars, treated == "high_intensity_team")
        self.narrative(d, "Comment", i, tagged=tagged)
        return d

    def caseload(
        self, i: int, at: datetime, month: int, episode_id: str, event: str, arm: str, route: str, reason: str
    ) -> Draft:
        """One caseload event (step up, monthly review or step down) of an intervention episode."""
        rng, feed, p = self.rng, "programme_caseload", self.p
        ident = self.identity(i, feed, month)
        v = {
            "Episode_ID": episode_id,
            "Event_Date": _fmt_date(feed, at.date()),
            "Event_Type": event,
            "Intervention": arm,
            "Referral_Route": route if event == "STEP_UP" else "",
            "Step_Down_Reason": reason if event == "STEP_DOWN" else "",
            "Local_Patient_ID": p.local_patient_id[i] if rng.random() < 0.8 else "",
            "NHS_Number": ident.nhs or "",
            "Forename": ident.given,
            "Surname": ident.family,
            "Date_Of_Birth": _fmt_date(feed, ident.dob),
            "Postcode": ident.postcode,
        }
        d = Draft(feed, month, at, i, v, errors=ident.errors)
        if rng.random() < 0.7:
            self.narrative(d, "Coordinator_Note", i, context=(event, arm))
        else:
            d.values["Coordinator_Note"] = ""
        return d

    def questionnaire_rows(
        self, i: int, at: datetime, month: int, measure: str, timepoint: str, responses: list[int | None]
    ) -> list[Draft]:
        """The item rows of one questionnaire, sharing its date, measure and the person's identifiers."""
        rng, feed, p = self.rng, "mh_outcome_measures", self.p
        ident = self.identity(i, feed, month)
        admin = _pick(rng, ADMINISTRATION.get(measure, ADMINISTRATION["default"]))
        name = f"{ident.given} {ident.family}"
        nhs = ident.nhs or ""
        common = {
            "Local_Patient_ID": p.local_patient_id[i],
            "NHS_Number": nhs,
            "Patient_Name": name,
            "DOB": _fmt_date(feed, ident.dob),
            "Postcode": ident.postcode,
            "Assessment_Date": _fmt_date(feed, at.date()),
            "Measure": measure,
            "Timepoint": timepoint,
            "Administration": admin,
        }
        drafts = []
        for k, response in enumerate(responses, start=1):
            v = dict(common)
            v["Item_No"] = str(k)
            v["Item_Response"] = "" if response is None else str(response)
            drafts.append(Draft(feed, month, at, i, v, errors=list(ident.errors)))
        return drafts


def item_responses(
    measure: str, wellbeing: float, noise: list[float], skipped: list[bool], not_known: list[bool]
) -> list[int | None]:
    """The positions ticked on one questionnaire, from latent wellbeing (higher is better) and per-item noise.

    Each item has a mean position on its own scale that moves with wellbeing in the item's direction: a person
    doing well ticks high positions on positively worded items and low ones on negatively worded items and problem
    ratings (``Measure.higher_is_better``). ``skipped`` items are blank; ``not_known`` items record the measure's
    not-known position (HoNOS 9).
    """
    m = MEASURE_BY_CODE[measure]
    out: list[int | None] = []
    for k in range(1, m.items + 1):
        base, slope, spread = _item_model(measure, k)
        better = base + slope * wellbeing + spread * noise[k - 1]  # how far towards the good end, on the item's scale
        raw = better if k in m.higher_is_better else m.low + m.high - better
        position = int(min(m.high, max(m.low, round(raw))))
        if not_known[k - 1] and m.not_known is not None:
            out.append(m.not_known)
        else:
            out.append(None if skipped[k - 1] else position)
    return out


# Per item: (mean position, oriented so that larger is better, for a person of average wellbeing; change per unit
# of wellbeing; noise multiplier). item_responses flips negatively worded items back onto the form's numbering.
# DIALOG and HoNOS are set so that people stepped up at a crisis peak (wellbeing about -2) sit near published
# clinical means (DIALOG life domains about 3.5 of 7, HoNOS totals about 18 of 48), not at the floor.
HONOS_ITEM_SEVERITY = (0.8, 0.7, 0.9, 0.3, 0.6, 0.4, 1.1, 0.9, 1.0, 0.7, 0.6, 0.8)  # mean rating at average wellbeing


def _item_model(measure: str, k: int) -> tuple[float, float, float]:
    if measure == "CORE10":
        return 2.4, 0.9, 1.0  # distress 1.6 on the 0-4 scale
    if measure == "REQOL10":
        return (2.8, 0.35, 1.0) if k == 11 else (2.1, 0.9, 1.0)  # item 11: physical health problems 1.2
    if measure == "SWEMWBS":
        return 3.0, 0.8, 1.0
    if measure == "DIALOG":
        return (4.6, 0.5, 1.6) if k <= 8 else (5.2, 0.25, 1.6)  # life domains; treatment
    return 4.0 - HONOS_ITEM_SEVERITY[k - 1], 0.4, 1.0


ADMINISTRATION = {
    "default": {"SELF": 0.6, "CLIN": 0.3, "PHONE": 0.1},
    "DIALOG": {"SELF": 0.45, "CLIN": 0.5, "PHONE": 0.05},  # often completed together in a DIALOG+ session
    "HONOS": {"CLIN": 1.0},  # a clinician's rating
}


def _pick(rng: random.Random, weights: dict[str, float] | object) -> str:
    keys = list(weights)  # type: ignore[arg-type]
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]  # type: ignore[index]


def feedback_themes(rng: random.Random, service: str, stars: int, under_hit: bool) -> list[tuple[str, str]]:
    """0-3 theme sentences (tagged ``theme:<theme>:<polarity>``) and sometimes a decoy (``decoy:<theme>:<kind>``).

    Themes are drawn one at a time without replacement, weighted by ``config.FEEDBACK_THEME_*``: negative themes
    go with low ratings, police involvement with police and street triage, continuity and involvement with people
    under the high intensity team.
    """
    n = int(_pick(rng, {str(k): v for k, v in config.FEEDBACK_THEME_COUNT.items()}))
    service_mult = config.FEEDBACK_THEME_SERVICE.get(service, {})
    options: dict[tuple[str, str], float] = {}
    for theme, polarities in config.FEEDBACK_THEME_BASE.items():
        mult = service_mult.get(theme, 1.0) * (config.FEEDBACK_THEME_HIT.get(theme, 1.0) if under_hit else 1.0)
        for polarity, base in polarities.items():
            options[(theme, polarity)] = base * mult * config.FEEDBACK_THEME_RATING[polarity][stars]
    chosen: list[tuple[str, str]] = []
    for _ in range(n):
        keys = list(options)
        theme, polarity = rng.choices(keys, weights=[options[k] for k in keys])[0]
        chosen.append((theme, polarity))
        options = {k: w for k, w in options.items() if k[0] != theme}
    tagged = [(f"theme:{t}:{pol}", rng.choice(FEEDBACK_THEMES[t][pol])) for t, pol in chosen]
    if rng.random() < config.FEEDBACK_DECOY:
        themes = {t for t, _ in chosen}
        theme = rng.choice([t for t in FEEDBACK_DECOYS if t not in themes])
        kind = rng.choice(sorted(FEEDBACK_DECOYS[theme]))
        tagged.append((f"decoy:{theme}:{kind}", rng.choice(FEEDBACK_DECOYS[theme][kind])))
    return tagged


def mh_code_signal(feed: str, values: dict[str, str]) -> bool:
    """Whether a police, ambulance or ED record's codes say it is mental-health related (``config.MH_CODE_SIGNALS``)."""
    return any(values.get(col, "") in codes for col, codes in config.MH_CODE_SIGNALS[feed].items())


def mh_text_signal(marks: list[tuple[str, Mark]]) -> bool:
    """Whether a narrative carries a planted mental-health cue (a cue sentence, or a context sentence that is one)."""
    return any(m.tag == "mh:cue" or m.tag in MH_CUE_CONTEXTS for _, m in marks)


def _split_silent(weights: dict[str, float], signals: tuple[str, ...], absent: float) -> tuple[dict, dict]:
    """Code weights for the silent records (non-signal codes only) and for the rest, so that over all records
    each code keeps its share: rest = (p - absent * silent) / (1 - absent)."""
    total = sum(weights.values())
    p = {k: w / total for k, w in weights.items()}
    quiet = sum(v for k, v in p.items() if k not in signals)
    silent = {k: v / quiet for k, v in p.items() if k not in signals}
    rest = {k: (v - absent * silent.get(k, 0.0)) / (1 - absent) for k, v in p.items()}
    return silent, rest


def _recorded_ethnicity(
    rng: random.Random, eth: int, feed: str, codes: tuple[str, ...], not_stated: str, not_known: str
) -> str:
    """A person's ethnicity in a service's code list (``codes`` is indexed like ``ETHNICITIES``), as recorded."""
    rates = config.ETHNICITY_RECORDING[feed]
    roll = rng.random()
    if roll < rates["not_stated"]:
        return not_stated
    if roll < rates["not_stated"] + rates["not_known"]:
        return not_known
    true = codes[eth]
    if roll < rates["not_stated"] + rates["not_known"] + rates["wrong"]:
        group = ETHNICITIES[eth][0]
        same = sorted({c for c, e in zip(codes, ETHNICITIES, strict=True) if e[0] == group} - {true})
        other = sorted({c for c, e in zip(codes, ETHNICITIES, strict=True) if e[0] != group})
        return rng.choice(same if same and rng.random() < config.ETHNICITY_WRONG_SAME_GROUP else other)
    return true


def _recorded_flag(rng: random.Random, true: bool, rates: dict[str, float]) -> str:
    """Y/N as recorded from the truth, or blank (not recorded); ``missed`` and ``false`` are the errors."""
    if rng.random() < rates["blank"]:
        return ""
    if true:
        return "N" if rng.random() < rates["missed"] else "Y"
    return "Y" if rng.random() < rates["false"] else "N"


def primary_support_reason(rng: random.Random, neurodivergent: bool, disabled: bool, age: int) -> str:
    """Adult social care's primary support reason for a person, from their truth (``config.PRIMARY_SUPPORT_*``)."""
    if neurodivergent and rng.random() < config.PRIMARY_SUPPORT_REASON_LD:
        return "LD"
    if disabled:
        return _pick(rng, config.PRIMARY_SUPPORT_REASON["disabled_65_plus" if age >= 65 else "disabled_under_65"])
    return _pick(rng, config.PRIMARY_SUPPORT_REASON["not_disabled"])


def month_start(start: date, month: int) -> date:
    """First day of the month ``month`` months after ``start``'s month."""
    m = start.month - 1 + month
    return date(start.year + m // 12, m % 12 + 1, 1)


def days_in_month(first: date) -> int:
    """Number of days in the month that starts on ``first``."""
    nxt = date(first.year + (first.month // 12), first.month % 12 + 1, 1)
    return (nxt - first).days


def identifier_columns(feed: str) -> dict[str, str]:
    """Native identifier column -> entity type, for the planted-identifier truth."""
    spec = FEED_SPECS[feed]
    return {
        c.name: PERSON_FIELD_ENTITY[c.person_field]
        for c in spec.columns
        if c.role is Role.IDENTIFIER and c.person_field in PERSON_FIELD_ENTITY
    }


HOUR_WEIGHTS = (4, 3, 3, 2, 2, 2, 2, 3, 4, 5, 5, 5, 5, 5, 5, 5, 6, 6, 6, 7, 7, 7, 6, 5)
POLICE_OPEN_MH = {
    "CFS": 0.35,
    "SUIC": 0.25,
    "MISPER": 0.1,
    "WELFARE": 0.1,
    "DISTURB": 0.1,
    "ASB": 0.05,
    "ABANDON": 0.05,
}
POLICE_OPEN_OTHER = {
    "ASB": 0.2,
    "DOMESTIC": 0.18,
    "DISTURB": 0.15,
    "ASSAULT": 0.15,
    "THEFT": 0.12,
    "RTC": 0.06,
    "CFS": 0.08,
    "ABANDON": 0.06,
}
POLICE_CLOSE_MH = {
    "AMB_HANDOVER": 0.17,
    "CONVEY_HOSP": 0.09,
    "MH_REFERRAL": 0.17,
    "ADVICE": 0.2,
    "NFA": 0.2,
    "ARREST": 0.06,
    "CUSTODY": 0.04,
    "NO_TRACE": 0.04,
    "PARTNER_REF": 0.03,
}
POLICE_CLOSE_OTHER = {
    "ARREST": 0.15,
    "CUSTODY": 0.08,
    "ADVICE": 0.3,
    "NFA": 0.3,
    "NO_TRACE": 0.07,
    "PARTNER_REF": 0.05,
    "AMB_HANDOVER": 0.05,
}
AMB_COMPLAINT_MH = {"PSYCH": 0.35, "OVERDOSE": 0.25, "SELF_HARM": 0.15, "ALCOHOL": 0.15, "WELFARE": 0.1}
AMB_COMPLAINT_OTHER = {
    "FALL": 0.2,
    "CHEST_PAIN": 0.15,
    "BREATHING": 0.15,
    "SEIZURE": 0.08,
    "ASSAULT": 0.07,
    "SICK_PERSON": 0.2,
    "UNCONSCIOUS": 0.07,
    "ALCOHOL": 0.08,
}
ED_COMPLAINT_MH = {
    "248062006": 0.3,
    "6471006": 0.2,
    "1149222004": 0.2,
    "25702006": 0.1,
    "25786006": 0.1,
    "48694002": 0.1,
}
ED_COMPLAINT_OTHER = {
    "29857009": 0.18,
    "267036007": 0.14,
    "21522001": 0.16,
    "25064002": 0.08,
    "1912002": 0.16,
    "91175000": 0.06,
    "417163006": 0.17,
    "25702006": 0.05,
}
MH_TYPES = {
    "REFERRAL": 0.12,
    "CRISIS_ASSESS": 0.2,
    "CRISIS_FOLLOWUP": 0.2,
    "HOME_TREATMENT": 0.15,
    "OUTPATIENT": 0.2,
    "MHA_ASSESS": 0.05,
    "ADMISSION": 0.04,
    "DISCHARGE": 0.04,
}
MH_REFERRAL_SOURCES = {
    "GP": 0.3,
    "POLICE": 0.15,
    "ED": 0.2,
    "AMB": 0.05,
    "SELF": 0.15,
    "SOCIAL_CARE": 0.1,
    "OTHER": 0.05,
}

# Silent MH records (no signal anywhere) draw non-signal codes; the rest are adjusted so each code's share holds.
_SIGNALS = config.MH_CODE_SIGNALS
POLICE_OPEN_MH_SILENT, POLICE_OPEN_MH_REST = _split_silent(
    POLICE_OPEN_MH, _SIGNALS["police_incidents"]["OPENING_CODE"], config.MH_SIGNAL_ABSENT["police_incidents"]
)
POLICE_CLOSE_MH_SILENT = {
    k: v for k, v in POLICE_CLOSE_MH.items() if k not in _SIGNALS["police_incidents"]["CLOSING_CODE"]
}
MH_FLAG_SILENT, MH_FLAG_REST = _split_silent(
    dict(config.MH_FLAG_GIVEN_MH), _SIGNALS["police_incidents"]["MH_FLAG"], config.MH_SIGNAL_ABSENT["police_incidents"]
)
AMB_COMPLAINT_MH_SILENT, AMB_COMPLAINT_MH_REST = _split_silent(
    AMB_COMPLAINT_MH, _SIGNALS["ambulance_calls"]["ChiefComplaint"], config.MH_SIGNAL_ABSENT["ambulance_calls"]
)
ED_ETHNICITY_BLANK = config.ED_ETHNICITY_NOT_STATED + config.ED_ETHNICITY_NOT_KNOWN
# ED: a silent MH attendance is coded as intoxication, an injury or a fall
ED_COMPLAINT_MH_SILENT = {"25702006": 0.6, "417163006": 0.25, "1912002": 0.15}

# Each person's ethnicity in the mental health trust's codes (NHS ethnic category letters) and the council's
# (ONS 2021 categories), indexed like ETHNICITIES.
NHS_ETHNIC_CODES: tuple[str, ...] = tuple(e[3] for e in ETHNICITIES)
_COUNCIL_CODE_OF_LABEL = {label: code for code, label in COUNCIL_ETHNICITY_CODES.items()}
COUNCIL_ETHNIC_CODES: tuple[str, ...] = tuple(_COUNCIL_CODE_OF_LABEL[f"{e[0]}: {e[1]}"] for e in ETHNICITIES)
