"""Synthetic UK crisis-service narratives with planted identifiers and their character spans, for benchmarks.

Two disjoint splits, so that what the de-identifier is measured on is not what it was tuned on:

- ``dev``: the templates, filler sentences and name sources used while writing the recognizers and in the unit tests;
- ``probe``: the dev templates with names from :data:`PROBE_LOCALES` (in neither the name lists nor the held-out
  split), used while developing the handling of unlisted names;
- ``heldout``: different templates and filler sentences (written separately, never run while tuning), and names
  drawn half from Faker locales that were *not* used to build the name lists (Dutch, Nordic, Finnish, Indonesian,
  Brazilian, Croatian, Slovene, Estonian, Vietnamese: :data:`pipelines.privacy.lexicons.HELD_OUT_LOCALES`) and half
  from British names. Street names, towns and postcodes come from Faker's ``en_GB`` address provider in both.

What is *not* held out: the identifier formats themselves (the recognizers are written from the identifiers'
structure, and both splits write NHS numbers, phones, postcodes and dates in the same set of common formats).

Each narrative carries the subject's structured identifiers (``known``), as a feed row would.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from pipelines.privacy import lexicons
from pipelines.privacy.normalise import nhs_check_digit

#: Faker locales outside both the name lists and the held-out split: the ``probe`` split (dev templates with these
#: names) is what unlisted-name handling was developed against, so the held-out names stay unseen.
PROBE_LOCALES: tuple[str, ...] = ("is_IS", "az_AZ", "de_AT", "nl_BE", "es_MX", "fr_CH", "en_NZ", "uz_UZ")

DIRECT_IDENTIFIERS = (
    "PERSON",
    "NHS_NUMBER",
    "NI_NUMBER",
    "UK_POSTCODE",
    "PHONE_NUMBER",
    "EMAIL_ADDRESS",
    "STREET_ADDRESS",
    "DATE_OF_BIRTH",
)


@dataclass
class Narrative:
    id: str
    text: str
    spans: list[tuple[int, int, str]]  # planted identifiers: (start, end, entity type)
    known: dict[str, str]
    style: str
    name_source: str  # "listed" (British names) or "held_out_locale"
    meta: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------------------
# templates. Slots: {P} subject full name, {PF} subject given name, {PS} subject family name, {PT} title+surname,
# {R} relative/associate full name, {RF} their given name, {STAFF} staff with role, {DOB} date of birth, {NHS},
# {NI}, {PC} postcode, {PHONE}, {ADDR} street address, {EMAIL}, {AGE}, {DATE} event date, {TIME}, {TOWN}, {HOSP}.

DEV_TEMPLATES: dict[str, list[str]] = {
    "police": [
        "Call from {P} stating she is going to end her life. Officers attended {ADDR}. Male known as {RF} present.",
        "{PT} (DOB {DOB}) located on the bridge at {TIME}. Detained under s136 and taken to {HOSP}.",
        "REPORT OF CONCERN FOR {P}, DOB {DOB}, OF {ADDR}, {PC}. CALLER {R} ON {PHONE}.",
        "Informant {R} says {PF} has not been seen since {DATE}. {STAFF} completed a vulnerability assessment.",
    ],
    "ambulance": [
        "Pt {P}, NHS {NHS}, found at {ADDR} following OD of 30 x paracetamol. Conveyed to {HOSP}.",
        "Crew called by {RF} ({PHONE}). {PF} tearful, reports low mood. {STAFF} on scene.",
        "Frequent caller. {P} rang 999 x4 today from {PHONE}. Address {ADDR} {PC}.",
    ],
    "ed": [
        "{P} attended with self-harm to forearm. NHS no {NHS}. Seen by {STAFF}. NOK {R}, {PHONE}.",
        "Triage: {PF} {PS}, born {DOB}, presents with suicidal ideation. Lives at {ADDR}.",
    ],
    "mh": [
        "Home visit to {PF} at {ADDR}. Mood low, sleep poor. Plan discussed with {STAFF}.",
        "Telephone contact with {P} on {PHONE}. Partner {RF} worried. Email {EMAIL} for crisis plan.",
        "{PT} reviewed by {STAFF}. NI number {NI} for benefits letter. Postcode {PC}.",
    ],
    "feedback": [
        "{pf} from the team was brilliant, she listened. thank you {staff_lower}.",
        "i want to thank {rf_lower} and the nurse who came out, they saved my life",
        "spoke to {staff_lower} on the phone and she was so kind to me and my son {rf_lower}",
    ],
    "council": [
        "{P} ({DOB}) presented as homeless, previously at {ADDR}. Contact {PHONE} / {EMAIL}.",
        "Housing officer {STAFF} met {PF} and {RF}. Tenancy at {ADDR} {PC} at risk.",
    ],
}

HELDOUT_TEMPLATES: dict[str, list[str]] = {
    "police": [
        "Officers were flagged down by {R} who was worried about {P}. {PF} was sitting in the road near {ADDR}.",
        "Third call this week about {PT}. She was found in a distressed state outside {ADDR} ({PC}).",
        "CONCERN FOR WELFARE: {P} D.O.B. {DOB} LAST SEEN {DATE}. MOBILE {PHONE}. HOME ADDRESS {ADDR}.",
        "{STAFF} spoke with {PF} for 40 minutes. His brother {R} arrived and took him home to {ADDR}.",
        "Male identified as {P}, date of birth {DOB}, NI {NI}. Arrested for criminal damage and later released.",
    ],
    "ambulance": [
        "Attended {ADDR}, {PC} to a {AGE} year old, {P}. Took overdose of sertraline. {RF} called us on {PHONE}.",
        "Patient {PT} refused conveyance. NHS number {NHS}. Safety netting advice given, {STAFF} informed.",
        "Caller {R} reports {PF} has cut his wrists. Pt DOB {DOB}. Police requested to {ADDR}.",
    ],
    "ed": [
        "{AGE}M {P} brought in by police under s136. GP letter to {EMAIL}. {STAFF} to review in the morning.",
        "Re-attendance: {PT}, NHS {NHS}, expressing thoughts of harm. Lives with {R} at {ADDR}.",
        "{PF} left before being seen. Attempted contact on {PHONE} with no answer. DOB {DOB}.",
    ],
    "mh": [
        "Care coordinator {STAFF} visited {P} at home ({ADDR}). She talked about her daughter {RF}.",
        "Crisis plan shared with {R} ({PHONE}). {PF} agreed to call the crisis line if needed.",
        "New referral: {P}, born {DOB}, {PC}. Previously known to services. Email on file {EMAIL}.",
    ],
    "feedback": [
        "the nurse {staff_lower} was amazing and i felt listened to for the first time. my mum {rf_lower} agrees",
        "{staff_lower} rang me back when she said she would. that never happens.",
        "honestly {staff_lower} and {rf_lower} were the only ones who helped me",
    ],
    "council": [
        "Homelessness application for {P} (DOB {DOB}), NI {NI}. Temporary accommodation at {ADDR}.",
        "{PT} contacted the housing team from {PHONE}. Anti-social behaviour reported at {ADDR}, {PC}.",
        "Safeguarding referral from {STAFF} about {P} and her partner {R}.",
    ],
}

#: Extra development templates (written after the first held-out measurement, never the held-out ones): the
#: ``probe`` split uses these with the dev templates.
PROBE_TEMPLATES: dict[str, list[str]] = {
    "police": [
        "Subject {P} was located by {STAFF} at {TIME} and taken home to {ADDR}.",
        "{R} (neighbour) reported shouting from {ADDR}. On arrival {PF} was alone and tearful.",
        "Log update: {PT} now safe and well, with {RF}. Mobile {PHONE}.",
        "Person reported missing: {P}, aged {AGE}, home address {ADDR} {PC}.",
    ],
    "ambulance": [
        "On arrival pt {PF} sat on the kitchen floor. Wife {RF} present. Hx of depression.",
        "{P} (DOB {DOB}) declined transport after assessment by {STAFF}.",
    ],
    "ed": [
        "Seen with {RF}, who is {PF}'s sister. Discharged to {ADDR} with crisis team follow up.",
        "{PT} self-presented. Known to {STAFF}. Contact number {PHONE}, NHS {NHS}.",
    ],
    "mh": [
        "Discussed at MDT. {PF} reports that {R} has been supportive. Next appointment sent to {EMAIL}.",
        "Text from {PF} this morning saying she wanted {RF} to know she was sorry.",
    ],
    "feedback": [
        "really grateful to {staff_lower}, and to {rf_lower} for sitting with me",
        "{staff_lower} listened to me, {rf_lower} too. best service ive had",
        "the man who came, {staff_lower} i think, was kind",
    ],
    "council": [
        "Letter sent to {P}, {ADDR}, {PC}, regarding rent arrears.",
        "{R} called on behalf of {PF} asking about a move; advised to email {EMAIL}.",
    ],
}

DEV_FILLER = [
    "Officers attended and found the person calm but tearful.",
    "No weapons were seen and there were no injuries.",
    "Advice given regarding the crisis line and the GP.",
    "Mental health triage car consulted by telephone.",
    "The patient was alert and orientated throughout.",
    "Risk assessed as medium, plan to review tomorrow.",
    "She reported feeling hopeless and not sleeping.",
    "Family are supportive but struggling to cope.",
]
HELDOUT_FILLER = [
    "He stated that he had been drinking since the morning and felt overwhelmed.",
    "There was no evidence of a head injury and observations were within normal limits.",
    "The street triage team agreed to follow up within twenty four hours.",
    "She said the voices had become louder over the past week.",
    "A referral was made to the community mental health team.",
    "The flat was cluttered and there was little food in the kitchen.",
    "He was calm on arrival and engaged well with the crew.",
    "Concerns were raised about debts and rent arrears.",
    "Medication was checked and appears to be taken as prescribed.",
    "The caller hung up before the call taker could obtain further details.",
]

STAFF_ROLES = ["PC", "DC", "Sgt", "Dr", "Nurse", "Officer", "Paramedic", "Insp"]
HOSPITALS = ["the Royal Infirmary", "the General Hospital", "the place of safety", "the mental health unit"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October"]
MONTHS += ["November", "December"]
EMAIL_DOMAINS = ["gmail.com", "hotmail.co.uk", "outlook.com", "yahoo.co.uk", "btinternet.com", "nhs.net", "icloud.com"]


class _Ids:
    """Identifier generators writing each identifier in one of its common real-world formats."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def nhs(self) -> str:
        while True:
            first = "".join(self.rng.choice("0123456789") for _ in range(9))
            first = str(self.rng.randint(4, 9)) + first[1:]
            check = nhs_check_digit(first)
            if check is not None:
                d = first + str(check)
                break
        fmt = self.rng.choice(["{0} {1} {2}", "{0}{1}{2}", "{0}-{1}-{2}", "{0} {1} {2}"])
        return fmt.format(d[:3], d[3:6], d[6:])

    def ni(self) -> str:
        first = self.rng.choice("ABCEGHJKLMNOPRSTWXYZ")
        second = self.rng.choice("ABCEGHJKLMNPRSTWXYZ")
        if first + second in {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}:
            first, second = "A", "B"
        digits = "".join(self.rng.choice("0123456789") for _ in range(6))
        suffix = self.rng.choice("ABCD")
        if self.rng.random() < 0.5:
            return f"{first}{second}{digits}{suffix}"
        return f"{first}{second} {digits[:2]} {digits[2:4]} {digits[4:]} {suffix}"

    def postcode(self, raw: str) -> str:
        r = self.rng.random()
        if r < 0.6:
            return raw
        if r < 0.8:
            return raw.replace(" ", "")
        return raw.lower()

    def phone(self) -> str:
        mobile = "7" + "".join(self.rng.choice("0123456789") for _ in range(9))
        landline = self.rng.choice(["113", "114", "116", "117", "121", "131", "141", "151", "161", "191"]) + "".join(
            self.rng.choice("0123456789") for _ in range(7)
        )
        n = self.rng.choice([mobile, mobile, landline])
        return self.rng.choice(
            [
                f"0{n[:4]} {n[4:]}",
                f"0{n}",
                f"+44 {n[:4]} {n[4:]}",
                f"+44 (0){n[:3]} {n[3:6]} {n[6:]}",
                f"(0{n[:4]}) {n[4:]}",
                f"0{n[:4]} {n[4:7]} {n[7:]}",
                f"0{n[:3]}-{n[3:6]}-{n[6:]}",
            ]
        )

    def dob(self) -> tuple[date, str]:
        d = date(1940, 1, 1) + timedelta(days=self.rng.randint(0, 365 * 66))
        fmt = self.rng.choice(
            [
                "%d/%m/%Y",
                "%d/%m/%Y",
                "%d-%m-%Y",
                "%Y-%m-%d",
                "%d.%m.%Y",
                "long",
                "ordinal",
                "us",
                "%d/%m/%y",
                "%d-%b-%Y",
            ]
        )
        if fmt == "long":
            text = f"{d.day} {MONTHS[d.month - 1]} {d.year}"
        elif fmt == "ordinal":
            suffix = "th" if 11 <= d.day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d.day % 10, "th")
            text = f"{d.day}{suffix} {MONTHS[d.month - 1]} {d.year}"
        elif fmt == "us":
            text = f"{MONTHS[d.month - 1]} {d.day}, {d.year}"
        else:
            text = d.strftime(fmt)
        return d, text


def _people(split: str, seed: int):
    """Callable returning (given, family, source) for one person."""
    from faker import Faker

    rng = random.Random(seed)
    british = Faker("en_GB")
    british.seed_instance(seed)
    if split == "heldout":
        other = Faker(list(lexicons.HELD_OUT_LOCALES))
        other.seed_instance(seed + 1)
    elif split == "probe":
        other = Faker(list(PROBE_LOCALES))
        other.seed_instance(seed + 1)
    else:
        other = Faker(["en_IN", "pl_PL", "en_NG", "ro_RO", "en_IE"])
        other.seed_instance(seed + 1)

    def person() -> tuple[str, str, str]:
        if rng.random() < 0.5:
            return british.first_name(), british.last_name(), "listed"
        return other.first_name(), other.last_name(), "listed" if split == "dev" else "unlisted_locale"

    return person, british


def generate(n: int = 500, split: str = "heldout", seed: int = 20261125) -> list[Narrative]:
    """``n`` narratives from the ``split`` ("dev" or "heldout") templates, reproducible from ``seed``."""
    if split not in ("dev", "probe", "heldout"):
        raise ValueError("split must be 'dev', 'probe' or 'heldout'")
    if split == "heldout":
        templates = HELDOUT_TEMPLATES
    elif split == "probe":
        templates = {k: v + PROBE_TEMPLATES[k] for k, v in DEV_TEMPLATES.items()}
    else:
        templates = DEV_TEMPLATES
    filler = HELDOUT_FILLER if split == "heldout" else DEV_FILLER
    rng = random.Random(seed + (1 if split == "heldout" else 0))
    person, faker = _people(split, seed)
    ids = _Ids(rng)
    styles = sorted(templates)
    out = []
    for i in range(n):
        style = styles[i % len(styles)]
        given, family, source = person()
        r_given, r_family, _ = person()
        s_given, s_family, _ = person()
        dob_value, dob_text = ids.dob()
        postcode_raw = faker.postcode()
        number = rng.choice([str(rng.randint(1, 250)), f"{rng.randint(1, 99)}{rng.choice('AB')}"])
        street = faker.street_name()
        flat = f"Flat {rng.randint(1, 40)}, " if rng.random() < 0.2 else ""
        street_text = f"{flat}{number} {street}"
        town = faker.city()
        addr = street_text + (f", {town}" if rng.random() < 0.4 else "")
        title = rng.choice(["Mr", "Mrs", "Ms", "Miss"])
        role = rng.choice(STAFF_ROLES)
        staff_name = rng.choice([s_family, f"{s_given} {s_family}", s_given if role == "Nurse" else s_family])
        email_user = rng.choice([f"{given}.{family}", f"{given}{rng.randint(1, 99)}", f"{given[0]}{family}"]).lower()
        email_user = re.sub(r"[^a-z0-9.]", "", email_user) or "user"
        values = {
            "P": (f"{given} {family}", "PERSON"),
            "PF": (given, "PERSON"),
            "PS": (family, "PERSON"),
            "PT": (f"{title} {family}", None),  # title is not part of the identifier span
            "R": (f"{r_given} {r_family}", "PERSON"),
            "RF": (r_given, "PERSON"),
            "STAFF": (f"{role} {staff_name}", None),
            "DOB": (dob_text, "DATE_OF_BIRTH"),
            "NHS": (ids.nhs(), "NHS_NUMBER"),
            "NI": (ids.ni(), "NI_NUMBER"),
            "PC": (ids.postcode(postcode_raw), "UK_POSTCODE"),
            "PHONE": (ids.phone(), "PHONE_NUMBER"),
            "ADDR": (addr, "STREET_ADDRESS"),
            "EMAIL": (f"{email_user}@{rng.choice(EMAIL_DOMAINS)}", "EMAIL_ADDRESS"),
            "AGE": (str(2026 - dob_value.year), None),
            "DATE": (f"{rng.randint(1, 28)}/{rng.randint(1, 12):02d}/2026", None),
            "TIME": (f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}", None),
            "TOWN": (town, None),
            "HOSP": (rng.choice(HOSPITALS), None),
            "pf": (given.lower(), "PERSON"),
            "rf_lower": (r_given.lower(), "PERSON"),
            "staff_lower": (s_given.lower(), "PERSON"),
        }
        template = rng.choice(templates[style])
        sentences = [template, *rng.sample(filler, k=rng.randint(1, 3))]
        rng.shuffle(sentences)
        if style == "police" and template.isupper():
            sentences = [template]
        text, spans = _fill(" ".join(sentences), values, title, role, staff_name)
        if style == "police" and template.isupper():
            text = text.upper()
        known = {
            "given_name": given,
            "family_name": family,
            "date_of_birth": dob_value.isoformat(),
            "address": addr,
            "postcode": postcode_raw,
            "phone": values["PHONE"][0],
            "nhs_number": values["NHS"][0],
            "email": values["EMAIL"][0],
        }
        out.append(Narrative(f"{split}-{i:05d}", text, spans, known, style, source))
    return out


_SLOT = re.compile(r"\{(\w+)\}")


def _fill(
    template: str, values: dict, title: str, role: str, staff_name: str
) -> tuple[str, list[tuple[int, int, str]]]:
    pieces: list[str] = []
    spans: list[tuple[int, int, str]] = []
    pos = 0
    length = 0
    for m in _SLOT.finditer(template):
        literal = template[pos : m.start()]
        pieces.append(literal)
        length += len(literal)
        slot = m.group(1)
        value, entity = values[slot]
        if slot == "PT":
            pieces.append(title + " ")
            length += len(title) + 1
            value, entity = value.split(" ", 1)[1], "PERSON"
        elif slot == "STAFF":
            pieces.append(role + " ")
            length += len(role) + 1
            value, entity = staff_name, "PERSON"
        pieces.append(value)
        if entity:
            if entity == "PERSON" and " " in value:
                # each word of a name is its own identifier (a missed surname is a leak even if the given name went)
                offset = 0
                for word in value.split(" "):
                    spans.append((length + offset, length + offset + len(word), entity))
                    offset += len(word) + 1
            else:
                spans.append((length, length + len(value), entity))
        length += len(value)
        pos = m.end()
    pieces.append(template[pos:])
    return "".join(pieces), spans
