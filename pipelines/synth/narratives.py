"""Free text as agencies and people write it, with every planted identifier's offsets recorded.

A narrative is built from sentence templates: some carry identifiers (the person's name in one of
several forms, relatives and staff by name, phones, addresses, postcodes, NHS and NI numbers, dates
of birth, emails), most carry the operational and clinical words a de-identifier must leave alone.
Each ``{slot}`` is filled by ``Filler``; slots that identify someone are typed with the entity types
the de-identification team scores against.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

PERSON = "PERSON"
NHS_NUMBER = "NHS_NUMBER"
DATE_OF_BIRTH = "DATE_OF_BIRTH"
PHONE_NUMBER = "PHONE_NUMBER"
EMAIL_ADDRESS = "EMAIL_ADDRESS"
STREET_ADDRESS = "STREET_ADDRESS"
UK_POSTCODE = "UK_POSTCODE"
NI_NUMBER = "NI_NUMBER"
ENTITY_TYPES = (PERSON, NHS_NUMBER, DATE_OF_BIRTH, PHONE_NUMBER, EMAIL_ADDRESS, STREET_ADDRESS, UK_POSTCODE, NI_NUMBER)

SLOT = re.compile(r"\{(\w+)\}")

# Slots that identify: slot name -> entity type.
IDENTIFYING_SLOTS = {
    "name": PERSON,
    "given": PERSON,
    "family": PERSON,
    "relname": PERSON,
    "staffname": PERSON,
    "phone": PHONE_NUMBER,
    "address": STREET_ADDRESS,
    "postcode": UK_POSTCODE,
    "nhs": NHS_NUMBER,
    "dob": DATE_OF_BIRTH,
    "email": EMAIL_ADDRESS,
    "ni": NI_NUMBER,
}

DRUGS = (
    "paracetamol", "sertraline", "diazepam", "zopiclone", "quetiapine", "co-codamol", "mirtazapine",
    "olanzapine", "ibuprofen", "citalopram", "pregabalin", "methadone", "lithium", "fluoxetine",
)  # fmt: skip
PLACES = (
    "the railway bridge", "the multi-storey car park", "the canal towpath", "the town centre", "the bus station",
    "a petrol station forecourt", "the park", "the river footbridge", "the supermarket car park", "the A-road layby",
    "the seafront", "the churchyard", "the train station platform", "the underpass",
)  # fmt: skip
HOSPITALS = ("County General", "Northtown Hospital", "the Riverside unit", "the place of safety", "the UTC")
FEELINGS = ("low", "anxious", "agitated", "tearful", "withdrawn", "paranoid", "distressed", "hopeless", "calm")

POLICE_IDENT = (
    "INFORMANT {relname} ({relation}) STATES {name} HAS LEFT THE ADDRESS IN A DISTRESSED STATE.",
    "Subject {name} known to police, DOB {dob}, resides {address}.",
    "Caller gives number {phone} for call back.",
    "Officers {staffname} and {staffname} attended {address}, {postcode}.",
    "{relation} {relname} called again from {phone} worried about {given}.",
    "PNC check on {family}, {given} - dob {dob}, no warnings of note.",
    "Subject gave name as {name} and date of birth {dob}.",
    "Home address confirmed as {address} {postcode}.",
    "NHS no {nhs} obtained from ambulance crew on scene.",
    "Mental health nurse on the street triage car ({staffname}) spoke to {given} at scene.",
    "Referral to be sent to the high intensity team for {name}, contact via {phone}.",
    "Nat Ins {ni} recorded from benefits letter found on subject.",
    "{given} was found at {place} by {staffname}.",
    "Email from {relname} ({email}) forwarded to the log.",
)
POLICE_PLAIN = (
    "Log created from 999 call.",
    "Informant not wishing to leave details.",
    "Units assigned, ETA {n} minutes.",
    "Officers on scene at {time}.",
    "Third call today regarding the same subject.",
    "Intel checks complete, nothing further of note.",
    "Supervisor informed and log reviewed.",
    "BWV activated throughout.",
)
AMB_IDENT = (
    "Pt {name} known to service, frequent caller.",
    "Pt states DOB {dob}. NHS {nhs}.",
    "Call back number {phone}.",
    "Attended {address}, {postcode}, pt found sitting on the floor.",
    "{relation} {relname} on scene, gave collateral history.",
    "Handed over to {staffname} at {hosp}.",
    "Pt asked us to contact {relname} on {phone}.",
    "Crew {staffname} and {staffname}.",
    "Pt {given} refused to give surname initially, later confirmed as {name}.",
    "Pt's email {email} given for the self-care leaflet.",
)
AMB_PLAIN = (
    "Obs: RR {rr}, SpO2 {spo2}% on air, HR {hr}, BP {bp}, GCS 15.",
    "Pt calm and cooperative throughout.",
    "Pt known to the service, frequent caller flag on the system.",
    "Police on scene on arrival.",
    "No known allergies.",
    "PMH: asthma, depression.",
    "Pt ambulatory at scene.",
)
ED_IDENT = (
    "{name} brought in by ambulance, NHS no {nhs}.",
    "Collateral from {relation} {relname} ({phone}).",
    "Lives at {address} with {relation}.",
    "Seen by {staffname} (liaison psychiatry).",
    "GP letter confirms DOB {dob}, postcode {postcode}.",
    "Pt {given} asked that we contact {relname}.",
    "Discussed with {staffname}, plan agreed.",
    "Pt gave email {email} for follow-up letters.",
)
ED_PLAIN = (
    "Bloods sent, ECG unremarkable, obs stable.",
    "Triaged at {time}.",
    "Alert, orientated, GCS 15.",
    "Waiting time {n} hours at the point of review.",
    "NEWS2 {news}.",
    "Reattender this month.",
    "No safeguarding concerns identified.",
)
MH_IDENT = (
    "Telephone contact with {name} on {phone}.",
    "Home visit to {address} ({postcode}), {given} answered the door.",
    "Spoke with {relation} {relname} who shares care.",
    "Care coordinator {staffname} to follow up.",
    "Discussed in MDT with {staffname} and {staffname}.",
    "Pt's DOB {dob} confirmed, NHS {nhs}.",
    "{given} emailed from {email} asking to rearrange.",
    "Letter sent to {address}, {postcode}.",
)
MH_PLAIN = (
    "Medication: {drug}, adherence variable.",
    "Sleep poor, appetite reduced, no psychotic features.",
    "Risk assessment updated: risk to self moderate.",
    "Mood {feeling}, denies current intent, protective factors discussed.",
    "Physical health check due.",
    "Next review in two weeks.",
    "Hearing voices telling them to harm themselves, increased monitoring.",
)
COUNCIL_IDENT = (
    "Client {name} attended the housing options desk.",
    "Tel {phone}. Email {email}.",
    "Current address {address}, {postcode}; notice served by landlord {relname}.",
    "{relation} {relname} called on behalf of {given}.",
    "Case allocated to {staffname}.",
    "DOB {dob}; NI {ni}.",
    "Visit to {address} by {staffname}.",
)
COUNCIL_PLAIN = (
    "Client declined support at this time.",
    "Documents requested: ID and proof of income.",
    "Benefits check completed.",
    "Case to be reviewed in {n} days.",
    "Interpreter not required.",
    "Previous contact with the service noted.",
)
CASELOAD_IDENT = (
    "Coordinator {staffname} allocated; first meeting with {given} at {place}.",
    "Contact {given} on {phone} before visits.",
    "{relation} {relname} involved in plan.",
    "Joint visit with {staffname} to {address}.",
    "Met {name} with {relation} {relname}, agreed to weekly contact.",
    "GP surgery confirmed DOB {dob} and NHS {nhs}.",
)
CASELOAD_PLAIN = (
    "Multi-agency plan agreed, single point of contact in place.",
    "Plan shared with police, ambulance, ED and the crisis team.",
    "Discussed at the monthly multi-agency panel.",
    "Risk summary updated for partner agencies.",
    "Housing and benefits support in progress.",
)
FEEDBACK_IDENT = (
    "My name is {name} and I want to say {staffname} was amazing.",
    "Please ring me on {phone}.",
    "The nurse {staffname} treated me like a human being.",
    "You can email me at {email} if you want to talk about it.",
    "I live at {address}, {postcode} and nobody came for six hours.",
    "My {relation} {relname} had to sit with me all night.",
    "My NHS number is {nhs} so you can look it up.",
    "I'm {given}, born {dob}, and this is the third time I've complained.",
    "Thank you {staffname}, you kept me safe that night.",
    "The officer {staffname} was rude to my {relation}.",
)
FEEDBACK_PLAIN = (
    "Staff were kind but clearly exhausted.",
    "I don't want to keep ringing 999 but there is nobody else at 3am.",
    "Nobody explained what section I was on or why.",
    "Service was OK, nothing special.",
    "I\u2019m grateful \u2013 really I am \u2013 but it took far too long.",  # curly quote and en dashes, as typed
    "Rude receptionist, otherwise fine.",
)

# Sentences that fit what the record says happened, keyed "<feed>:<context>"; a record's builder names its contexts.
CONTEXT: dict[str, tuple[str, ...]] = {
    "police_incidents:mh": (
        "Concern for welfare reported by a member of the public.",
        "Male seen on the wrong side of the railings at {place}, officers deployed.",
        "Subject stating they want to end their life, threatening to jump.",
        "Advised by MH triage that subject is open to the crisis team.",
        "Subject engaged in conversation and moved away from {place}.",
        "Subject tearful and {feeling}, disclosed taking {drug} earlier.",
    ),
    "police_incidents:other": (
        "Reports of shouting from the property, neighbours concerned.",
        "Suspect left prior to police arrival.",
        "Shoplifting reported by store security, suspect detained by staff.",
        "Verbal argument only, no offences disclosed.",
        "Two vehicles involved, no injuries reported.",
        "Youths causing annoyance outside the shop.",
    ),
    "police_incidents:S136": ("Subject detained under s136 MHA and conveyed to {hosp}.",),
    "police_incidents:ARREST": ("Subject aggressive towards officers, arrested to prevent a breach of the peace.",),
    "police_incidents:CUSTODY": ("Taken to custody, FME to assess fitness for interview.",),
    "police_incidents:CONVEY_HOSP": ("Conveyed to {hosp} by police vehicle, no ambulance available.",),
    "police_incidents:AMB_HANDOVER": ("Handed over to ambulance crew at {time}.",),
    "police_incidents:MH_REFERRAL": ("Referral made to the mental health crisis team.",),
    "police_incidents:ADVICE": ("No offences disclosed. Words of advice given.",),
    "police_incidents:NFA": ("Log closed, no further police action required.",),
    "police_incidents:NO_TRACE": ("Area search conducted with negative result.",),
    "police_incidents:PARTNER_REF": ("Adult at risk referral submitted to the council.",),
    "ambulance_calls:mh": (
        "Pt reports taking approx {n} tablets of {drug} {n} hours ago.",
        "Superficial lacerations to left forearm, cleaned and dressed.",
        "Pt expressing suicidal ideation with a plan, not safe to leave.",
        "ETOH on board, pt unsteady on feet, low in mood.",
        "Pt {feeling}, says they cannot keep themselves safe tonight.",
    ),
    "ambulance_calls:other": (
        "Chest pain on and off for {n} days, ECG NSR.",
        "Fall at home, no head injury, no loss of consciousness.",
        "SOB on exertion, wheeze on auscultation.",
        "Witnessed seizure lasting approx {n} minutes, post-ictal on arrival.",
        "Generally unwell for {n} days, pyrexial.",
    ),
    "ambulance_calls:hear_and_treat": ("Clinical advisor hear and treat, safety netting advice given.",),
    "ambulance_calls:see_and_treat": ("Pt has capacity and declined conveyance, worsening advice given.",),
    "ambulance_calls:see_and_convey": ("Pt conveyed to {hosp} for further assessment.",),
    "ed_attendances:mh": (
        "Presents after deliberate overdose of {drug}, approx {n} tablets.",
        "Self-harm, superficial cuts to forearm, wound glued.",
        "Paracetamol level taken at 4 hours, below treatment line.",
        "Pt states feeling {feeling} for several weeks.",
        "Intoxicated, awaiting sobriety before MH assessment.",
        "Safety plan discussed, crisis line number given.",
    ),
    "ed_attendances:other": (
        "Presenting with chest pain, troponin negative.",
        "Fall at home, X-ray of wrist shows no fracture.",
        "Abdominal pain, bloods and urine sent.",
        "Headache for {n} days, neuro exam normal.",
    ),
    "ed_attendances:liaison": ("Referred to liaison psychiatry for risk assessment.",),
    "ed_attendances:LBT": ("Left the department before treatment was completed.",),
    "ed_attendances:LBA": ("Not answering when called for assessment, presumed left.",),
    "ed_attendances:TREATED": ("Medically fit for discharge.",),
    "mh_contacts:REFERRAL": ("Referral accepted, triaged as urgent.", "Referral received, screening booked."),
    "mh_contacts:CRISIS_ASSESS": ("Crisis assessment completed with the person.",),
    "mh_contacts:CRISIS_FOLLOWUP": ("Follow-up after crisis, safety plan checked.",),
    "mh_contacts:HOME_TREATMENT": ("Plan: home treatment team daily visits for one week.",),
    "mh_contacts:OUTPATIENT": ("Reviewed in clinic.", "Engaged well, goals for the week agreed."),
    "mh_contacts:MHA_ASSESS": ("MHA assessment completed with AMHP and two doctors.",),
    "mh_contacts:ADMISSION": ("Admitted to the ward, bed found in county.",),
    "mh_contacts:DISCHARGE": ("Discharged to GP care, relapse signature shared.",),
    "mh_contacts:DNA": ("DNA, no answer at the door, card left.", "Did not attend, two calls unanswered."),
    "mh_contacts:detained": ("Detained under section, rights read and leaflet given.",),
    "mh_contacts:coproduced": ("Crisis plan reviewed and updated with the service user.",),
    "council_contacts:HOMELESS": ("Presenting as homeless following relationship breakdown.",),
    "council_contacts:TENANCY_RISK": ("Section 21 notice received, tenancy at risk.",),
    "council_contacts:ARREARS": ("Rent arrears of approx \u00a3{n}00, payment plan discussed.",),
    "council_contacts:ASB_COMPLAINT": ("Neighbour complaints about noise and visitors late at night.",),
    "council_contacts:REPAIRS": ("Property in disrepair, damp and mould reported.",),
    "council_contacts:SAFEGUARDING": ("Safeguarding concern raised by a partner agency.",),
    "council_contacts:CARE_ASSESS": ("Care and support needs assessment requested.",),
    "council_contacts:CARER_SUPPORT": ("Carer struggling to cope, carer's assessment offered.",),
    "council_contacts:WELFARE_CHECK": ("Welfare check requested by police after a concern call.",),
    "council_contacts:TEMP_ACCOM": ("Temporary accommodation offered at a B&B.",),
    "council_contacts:S42_ENQUIRY": ("Enquiry opened under s42 Care Act.",),
    "programme_caseload:STEP_UP": ("Stepped up after {n} crisis contacts in three months.",),
    "programme_caseload:MANAGED": (
        "Engagement good this month, no crisis contacts.",
        "Disengaged, two missed appointments.",
        "Goals reviewed, housing now stable.",
    ),
    "programme_caseload:STEP_DOWN": ("Stepped down, relapse plan shared with agencies.",),
    "programme_caseload:usual_care": ("Usual care: eligible but not allocated to a team.",),
    "feedback:good": (
        "I felt listened to for the first time in years.",
        "Honestly the street triage car made all the difference.",
        "The plan we wrote together actually helped me this time.",
        "Would recommend the high intensity team to anyone.",
    ),
    "feedback:poor": (
        "Waited {n} hours in A&E with nobody checking on me.",
        "They just kept sending me home.",
        "The crisis team never called back when they said they would.",
        "Being put in the back of a police van when I was unwell was humiliating.",
    ),
}

POOLS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "police_incidents": (POLICE_IDENT, POLICE_PLAIN),
    "ambulance_calls": (AMB_IDENT, AMB_PLAIN),
    "ed_attendances": (ED_IDENT, ED_PLAIN),
    "mh_contacts": (MH_IDENT, MH_PLAIN),
    "council_contacts": (COUNCIL_IDENT, COUNCIL_PLAIN),
    "programme_caseload": (CASELOAD_IDENT, CASELOAD_PLAIN),
    "feedback": (FEEDBACK_IDENT, FEEDBACK_PLAIN),
}
# Mean identifying sentences per narrative, per feed (Poisson); plain sentences are 1-3.
IDENT_SENTENCES_MEAN = {
    "police_incidents": 1.6,
    "ambulance_calls": 1.2,
    "ed_attendances": 1.0,
    "mh_contacts": 1.0,
    "council_contacts": 1.3,
    "programme_caseload": 0.8,
    "feedback": 0.6,
}


@dataclass(frozen=True)
class Span:
    entity_type: str
    value: str
    start: int
    end: int


Filler = Callable[[str], str]  # a slot's value; "title\x00name" marks a prefix that does not identify


def render(template: str, fill: Filler) -> tuple[str, list[Span]]:
    """Fill a template's slots; return the text and the spans of identifying values in it."""
    out: list[str] = []
    spans: list[Span] = []
    pos = 0
    last = 0
    for match in SLOT.finditer(template):
        literal = template[last : match.start()]
        out.append(literal)
        pos += len(literal)
        slot = match.group(1)
        value = fill(slot)
        if "\x00" in value:  # "title\x00name": only the name identifies
            prefix, value = value.split("\x00", 1)
            out.append(prefix + " ")
            pos += len(prefix) + 1
        etype = IDENTIFYING_SLOTS.get(slot)
        if etype is not None and value:
            spans.append(Span(etype, value, pos, pos + len(value)))
        out.append(value)
        pos += len(value)
        last = match.end()
    out.append(template[last:])
    return "".join(out), spans


def compose(
    feed: str, fill: Filler, rng: random.Random, uppercase: bool = False, context: tuple[str, ...] = ()
) -> tuple[str, list[Span]]:
    """A narrative of a few sentences for one record of a feed, with its identifier spans.

    ``context`` names what the record says happened (``"mh"``, a closing code, ...): one fitting sentence
    is drawn for each, so the text agrees with the codes beside it.
    """
    ident_pool, plain_pool = POOLS[feed]
    n_ident = _poisson(IDENT_SENTENCES_MEAN[feed], rng)
    n_plain = rng.randrange(3)
    fitting = [rng.choice(CONTEXT[f"{feed}:{c}"]) for c in context if f"{feed}:{c}" in CONTEXT]
    templates = (
        fitting
        + rng.sample(plain_pool, min(n_plain, len(plain_pool)))
        + rng.sample(ident_pool, min(n_ident, len(ident_pool)))
    )
    if not templates:
        templates = [rng.choice(plain_pool)]
    rng.shuffle(templates)
    separator = "\n" if feed == "feedback" and rng.random() < 0.2 else " "
    text_parts: list[str] = []
    spans: list[Span] = []
    pos = 0
    for i, template in enumerate(templates):
        if i:
            text_parts.append(separator)
            pos += len(separator)
        text, local = render(template, fill)
        if uppercase:
            text = text.upper()
            local = [Span(s.entity_type, s.value.upper(), s.start, s.end) for s in local]
        text_parts.append(text)
        spans.extend(Span(s.entity_type, s.value, s.start + pos, s.end + pos) for s in local)
        pos += len(text)
    return "".join(text_parts), spans


def _poisson(mean: float, rng: random.Random) -> int:
    # Knuth's method: small means only, deterministic for the rng
    limit = pow(2.718281828459045, -mean)
    k = 0
    p = rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def plain_filler(rng: random.Random) -> Callable[[str], str | None]:
    """Values for the non-identifying slots."""

    def fill(slot: str) -> str | None:
        if slot == "drug":
            return rng.choice(DRUGS)
        if slot == "place":
            return rng.choice(PLACES)
        if slot == "hosp":
            return rng.choice(HOSPITALS)
        if slot == "feeling":
            return rng.choice(FEELINGS)
        if slot == "n":
            return str(rng.randrange(2, 30))
        if slot == "time":
            return f"{rng.randrange(24):02d}:{rng.randrange(60):02d}"
        if slot == "news":
            return str(rng.randrange(0, 13))
        if slot == "rr":
            return str(rng.randrange(12, 30))
        if slot == "spo2":
            return str(rng.randrange(90, 100))
        if slot == "hr":
            return str(rng.randrange(55, 140))
        if slot == "bp":
            return f"{rng.randrange(95, 170)}/{rng.randrange(55, 100)}"
        return None

    return fill
