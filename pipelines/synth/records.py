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
from pipelines.synth.narratives import compose, plain_filler
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
        self, draft: Draft, column: str, i: int, uppercase: bool = False, context: tuple[str, ...] = ()
    ) -> None:
        """Write a narrative into ``column`` and record where its planted identifiers are."""
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

        text, spans = compose(draft.feed, fill, rng, uppercase=uppercase, context=context)
        draft.values[column] = text
        draft.spans.extend((column, s.entity_type, s.value, s.start, s.end) for s in spans)

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
        if is_mh:
            opening = _pick(rng, POLICE_OPEN_MH)
            s136 = 0.12 * config.TRUE_S136_RATIO[self._treated(i, month) or "usual_care"]
            closing = "S136" if rng.random() < s136 else _pick(rng, POLICE_CLOSE_MH)
            grade = _pick(rng, {"1": 0.3, "2": 0.45, "3": 0.15, "4": 0.1})
            flag = _pick(rng, config.MH_FLAG_GIVEN_MH)
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
        self.narrative(d, "LOG_NARRATIVE", i, rng.random() < 0.4, ("mh" if is_mh else "other", closing))
        return d

    def ambulance(self, i: int, month: int, start: date) -> Draft:
        """One 999 call to the ambulance service."""
        rng, feed = self.rng, "ambulance_calls"
        at = self.when(start, month)
        is_mh = rng.random() < self.p.p_mh[i]
        ident = self.identity(i, feed, month)
        complaint = _pick(rng, AMB_COMPLAINT_MH if is_mh else AMB_COMPLAINT_OTHER)
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
            dest = _pick(rng, {"RX101": 0.55, "RX102": 0.3, "RX201": 0.1 if is_mh else 0.0, "RX301": 0.05})
        secs = str(int(rng.lognormvariate(6.6 + 0.3 * int(category), 0.5))) if arrived else ""
        flag_p = config.AMBULANCE_MH_FLAG_SENSITIVITY if is_mh else config.AMBULANCE_MH_FLAG_FALSE_POSITIVE
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
        context = (outcome,) if d.gap else ("mh" if is_mh else "other", outcome)  # nobody assessed: no findings
        self.narrative(d, "ClinicalNotes", i, context=context)
        return d

    def ed(self, i: int, month: int, start: date) -> Draft:
        """One ED attendance in ECDS shape."""
        rng, feed = self.rng, "ed_attendances"
        at = self.when(start, month)
        is_mh = rng.random() < self.p.p_mh[i]
        ident = self.identity(i, feed, month)
        complaint = _pick(rng, ED_COMPLAINT_MH if is_mh else ED_COMPLAINT_OTHER)
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
                    "MH_UNIT": 0.06 if is_mh else 0.0,
                    "POLICE": 0.02,
                    "OTHER_HOSP": 0.03,
                    "NFA": 0.05,
                },
            )
        eth = ETHNICITIES[int(self.p.ethnicity[i])][3]
        roll = rng.random()
        eth = "Z" if roll < 0.08 else "99" if roll < 0.12 else eth
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
            "Liaison_Psychiatry_Referral": "Y" if rng.random() < (0.7 if is_mh else 0.03) else "N",
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
        liaison = ("liaison",) if v["Liaison_Psychiatry_Referral"] == "Y" else ()
        self.narrative(d, "Clinical_Notes", i, context=("mh" if is_mh else "other", status, *liaison))
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
        rating = str(int(min(5, max(1, round(rng.gauss(mean, 1.2))))))
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
        tone = "good" if rating in {"4", "5"} else "poor" if rating in {"1", "2"} else ""
        self.narrative(d, "Comment", i, context=(tone,) if tone else ())
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
