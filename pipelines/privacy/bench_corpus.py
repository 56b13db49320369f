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
    #: per span, the hard class it was planted to test (:data:`CLASSES`), or "" for the ordinary templates
    span_classes: list[str] = field(default_factory=list)


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


def generate(n: int = 500, split: str = "heldout", seed: int = 20261125, classes: bool = True) -> list[Narrative]:
    """``n`` narratives from the ``split`` ("dev", "probe" or "heldout") templates, reproducible from ``seed``.

    With ``classes`` (the default), :data:`CLASS_SHARE` of them are written around the hard classes
    (:data:`CLASSES`); the rest are exactly the first narratives ``classes=False`` gives, so figures on the ordinary
    templates stay comparable with runs made before the classes were added.
    """
    if split not in ("dev", "probe", "heldout"):
        raise ValueError("split must be 'dev', 'probe' or 'heldout'")
    n_class = round(n * CLASS_SHARE) if classes else 0
    out = _generate_ordinary(n - n_class, split, seed)
    if n_class:
        rng = random.Random(seed * 7 + 15 + (1 if split == "heldout" else 0))
        _, faker = _people(split, seed + 99)
        words = _ClassWords(split, rng, faker)
        ids = _Ids(rng)
        filler = HELDOUT_FILLER if split == "heldout" else DEV_FILLER
        out += [_class_narrative(split, i, rng, words, ids, filler) for i in range(n_class)]
    return out


def _generate_ordinary(n: int, split: str, seed: int) -> list[Narrative]:
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


# --------------------------------------------------------------------------------------------------------------
# The hard classes: three kinds of identifier that an independent check found missed on UK text written the way
# records are (issue 15). Each is generated in general forms. The formats and the title, rank and role words are
# shared by both splits (like the identifier formats above); the words themselves (surnames, given names, house and
# street names) are split between ``dev`` and ``heldout`` by a hash of the word, and each split has its own
# sentences, so the held-out split's words and templates were never run while tuning.

CLASS_COMPACT_DOB = "compact_dob"
CLASS_WORD_SURNAME = "word_surname"
CLASS_CAPS_NAME = "word_name_in_capitals"
CLASS_HOUSE = "house_or_typeless_street"
#: the classes, in the order the bench reports them
CLASSES = (CLASS_COMPACT_DOB, CLASS_WORD_SURNAME, CLASS_CAPS_NAME, CLASS_HOUSE)
#: share of narratives written from the hard-class templates (the rest come from the ordinary templates above)
CLASS_SHARE = 0.3

_WORD_SURNAME_POOL = """
Brown Green Cook Hope Wood Bell Rose Field White Black Young King Hill Moon Stone Fox Bird Lamb Rice Day Page May
Hall Wall Lane Marsh Moss Reed Rush Salt Snow Spring Summer Winter Frost Gold Silver Price Sharp Small Strong Little
Long Short Best Good Bond Booth Bush Cross Dale Forest Grove Heath House Knight Parish Park Pool Street Chambers Wells
Banks Fields Brooks Woods Hart Sparrow Swan Crane Finch Peacock Hawk Rook Wren Pike Salmon Fish Bull Bacon Butcher
Baker Turner Mason Porter Shepherd Miller Hunter Archer Fisher Cooper Weaver Dyer Tanner Potter Wright Waters Rivers
Lake Brook Ford Moor Wild Sweet Bright Wise Noble Major Judge Bishop Pope Prince Duke Earl Lord Cannon Dart Bolt Nail
Steel Coal Ash Oak Birch Thorn Holly Ivy Flower Berry Cherry Plum Barley Straw Gale Storm Rain Castle Tower Church
Chapel Mill Bridge Law Pepper Ginger Honey Sugar Bean Ball Butler Carpenter Cotton Crow Drake Elder Farmer Head Horn
Hood Hook Hunt Lock Love Mills Ridge Rock Root Sage Savage Seed Smart Stamp Stock Swift Temple Vale Vine Wake Ward
Warren West Wing Wolf Gamble Fairweather Goodchild Toogood Lovelock Bliss Cash Coins Crisp Darling Dove Fell Goose
"""
_WORD_GIVEN_POOL = """
Hope Grace Rose Faith Joy Mark Dean Carol Dawn Jade Amber Ruby Holly Ivy Iris Daisy Poppy Summer April May June Will
Bill Rob Sue Pat Frank Drew Chase Grant Miles Ray Guy Heather Robin Crystal Destiny Precious Blessing Patience Mercy
Charity Sandy Penny Cherry Ginger Hazel Olive Fern Violet Willow Skye River Glen Dale Brook Clay Reed Heath Earl Duke
Pearl Opal Angel Honey Star Sunny Rusty Jack Max Rocky Matt Mo Ant Cat Deb Harmony Melody Autumn Jasmine Primrose
"""
_HOUSE_WORD_POOL = """
Rose Ivy Holly Orchard Meadow Willow Oak Ash Elm Beech Birch Cherry Apple Pear Plum Lilac Laurel Hawthorn Bramble
Primrose Bluebell Honeysuckle Jasmine Clover Heather Fern Moss Stone Brook River Mill Hill Vale Glebe Church Chapel
School Forge Smithy Bakery Granary Dairy Toll Keepers Field Spring Well Pond Lake Sunny Fair High Old New Little Upper
Lower Nether Red White Green Grey Yew Hazel Rowan Wren Lark Swallow Robin Owl Badger Fox Hare Otter Kingfisher Heron
Woodbine Sycamore Chestnut Poplar Larch Juniper Myrtle Lavender Thistle Foxglove Harebell Daisy Acorn Ivydene
"""
_HOUSE_KINDS = ("Cottage", "House", "Farm", "Farmhouse", "Lodge", "Barn", "Villa", "Bungalow", "Grange", "Cottages")
_THE_NAME_POOL = """
Willows Limes Laurels Beeches Poplars Firs Elms Hollies Pines Cedars Oaks Maltings Paddocks Orchards Gables Stables
Larches Chestnuts Sycamores Hawthorns Rowans Birches Hazels Yews Lindens Brambles Pastures Homestead Cloisters
Hermitage Haven Spinney Coppice Granary Laurels Beeches Moorings Hollows Briars Knoll Nook Warren Whins Pightle
"""
_THE_OLD = ("Old Rectory", "Old Vicarage", "Old School", "Old Forge", "Old Bakery", "Old Post Office", "Old Dairy")
_COMPOUND_PREFIX_POOL = """
Meadow Kings King Green High Wood Fair Hill Brook Oak River South West North East Ash Elm Birch Beech Holly Church Mill
Spring Rose Lark Cherry Bramble Fern Heather Stone Hazel Willow Thorn Sunny Grey Red White Long Broad Cold Deer Fox
Hart Swan Lime Moor Marsh Lea Bourne Wyke Holm Dun Hay Glen Bank Kirk Burn Priory Abbey Castle Tower Manor Wind Summer
"""
_COMPOUND_SUFFIX_POOL = """
side mead acres field fields lands view crest dale croft holme hurst leigh ley lea wood combe stead garth haven bury
ford bank brook gate hill mount rise moor fold cote dene hythe ings royd shaw thwaite well water cliffe edge heath
hays grange ways park green ton wick worth thorpe leys meadow mede nook lands court end hayes more glade
"""
_TITLES = ("Mr", "Mrs", "Ms", "Miss", "Dr", "Rev", "Revd", "Mx", "Prof")
_RANKS = ("PC", "DC", "PS", "DS", "Sgt", "Insp", "DI", "DCI", "PCSO")
_ROLES = (
    "nurse", "SW", "CPN", "keyworker", "key worker", "support worker", "social worker", "care coordinator",
    "housing officer", "GP", "AMHP", "OT", "HCA", "RMN", "paramedic", "mother", "father", "mum", "dad", "neighbour",
    "landlord", "landlady", "partner", "carer", "sister", "brother", "son", "daughter", "friend", "aunt", "uncle",
    "nan", "grandad", "ex-partner", "stepdad", "probation officer", "advocate",
)  # fmt: skip
_COMPACT_DOB_FORMATS = (
    "ddmmyy", "ddmmyyyy", "yyyymmdd", "d/m/yy", "d/m/yyyy", "dd.mm.yyyy", "d.m.yy", "iso", "dd-mm-yy",
)  # fmt: skip


def _pool(text: str, split: str) -> list[str]:
    """The half of a word pool that belongs to ``split`` (by a hash of the word: chosen blind, not by results)."""
    import zlib

    words = sorted(set(text.split()))
    want = 1 if split == "heldout" else 0
    return [w for w in words if zlib.crc32(w.encode()) % 2 == want]


def compact_dob(d: date, fmt: str) -> str:
    """A date of birth in one of the compact numeric forms records use (010285, 1/2/85, 01.02.1985, 1985-02-01)."""
    yy = f"{d.year % 100:02d}"
    return {
        "ddmmyy": f"{d.day:02d}{d.month:02d}{yy}",
        "ddmmyyyy": f"{d.day:02d}{d.month:02d}{d.year}",
        "yyyymmdd": f"{d.year}{d.month:02d}{d.day:02d}",
        "d/m/yy": f"{d.day}/{d.month}/{yy}",
        "d/m/yyyy": f"{d.day}/{d.month}/{d.year}",
        "dd.mm.yyyy": f"{d.day:02d}.{d.month:02d}.{d.year}",
        "d.m.yy": f"{d.day}.{d.month}.{yy}",
        "iso": d.isoformat(),
        "dd-mm-yy": f"{d.day:02d}-{d.month:02d}-{yy}",
    }[fmt]


# Templates per split and class. Slots: {DOBC} compact date of birth; {T}, {R}, {L} a title, a rank or a role label
# with a surname that is an everyday word ({L} is written as it stands: lower case mid-sentence); {TG} a title with a
# given name and such a surname; {WN} a full name (word given name, word surname) or either alone, for capitals;
# {RW} a rank and such a surname, for capitals; {HA} a house name or a street name without a street-type word;
# {PHONE} as above. Templates written in capitals are upper-cased whole, as police logs are.
CLASS_TEMPLATES: dict[str, dict[str, list[str]]] = {
    "dev": {
        CLASS_COMPACT_DOB: [
            "Pt confirmed DOB {DOBC} at triage.",
            "Client born {DOBC}, lives alone.",
            "SUBJECT D.O.B. {DOBC} KNOWN TO POLICE.",
            "Details checked with the GP (dob {DOBC}).",
            "DOB/AGE: {DOBC} (recorded by call handler).",
            "Identity confirmed, date of birth {DOBC}.",
            "born on {DOBC} per the referral letter",
        ],
        CLASS_WORD_SURNAME: [
            "{T} was seen in clinic today.",
            "Spoke to {L} about the plan.",
            "Attended by {R} and a colleague.",
            "{TG} rang the crisis line twice.",
            "Advice given to her {L} on the phone.",
            "Seen by Dr. {WSURNAME} in clinic.",
            "cc: {T}, {L}",
            "Plan shared with her {L} and with {R}.",
        ],
        CLASS_CAPS_NAME: [
            "CALL FROM {WN} REPORTING CONCERN FOR HER SON.",
            "SUBJECT SEEN ON THE BRIDGE BY {RW}.",
            "WITNESS ({WN}) GAVE A FIRST ACCOUNT.",
            "EMAIL FROM {WN} ({EMAIL}) ATTACHED TO THE LOG.",
            "STATEMENT OBTAINED FROM {WN} AT THE ADDRESS.",
            "PASSED TO {RW} FOR ACTION.",
            "NOK: {WN}",
            "CONTACT MADE WITH {WN} BY PHONE.",
            "WORDS OF ADVICE GIVEN TO {WN}.",
        ],
        CLASS_HOUSE: [
            "Lives at {HA} with her partner.",
            "Home visit to {HA}, no answer.",
            "Address: {HA}.",
            "OFFICERS ATTENDED {HA} AT THE REQUEST OF AMBULANCE.",
            "Visited at {HA} by the home treatment team.",
            "Care of {HA}.",
            "Pt resides at {HA} alone.",
        ],
    },
    "heldout": {
        CLASS_COMPACT_DOB: [
            "New referral, d.o.b {DOBC}, previously known to the CMHT.",
            "DOB: {DOBC}. Presenting complaint low mood.",
            "Man (DOB {DOBC}) detained under s136 at the station.",
            "PERSON STOPPED, DOB {DOBC}, GAVE FALSE DETAILS AT FIRST.",
            "She was born {DOBC} and has a learning disability.",
            "Verified identity: Born {DOBC}.",
        ],
        CLASS_WORD_SURNAME: [
            "Discussed with {T}, who agreed to review the medication.",
            "{R} completed the risk assessment with her.",
            "Information shared with {L} by phone.",
            "Her {L} called the ward twice this morning.",
            "Plan agreed with {TG} at the review meeting.",
            "Safeguarding concerns raised by {L}.",
            "Joint visit with {R} and the street triage nurse.",
        ],
        CLASS_CAPS_NAME: [
            "TEXT MESSAGE FROM {WN} FORWARDED TO ATTENDING OFFICERS.",
            "SUBJECT LOCATED NEAR THE CANAL BY {RW} AND TAKEN HOME.",
            "ADVICE GIVEN TO THE NEIGHBOUR ({WN}) AND LOG CLOSED.",
            "INFORMATION FROM {WN} ({PHONE}) THAT SUBJECT HAS LEFT ON FOOT.",
            "STATEMENT TAKEN BY {RW} FROM {WN} AT THE FRONT DOOR.",
        ],
        CLASS_HOUSE: [
            "Letter posted to {HA} today.",
            "Resides {HA} with her two children.",
            "{HA} - no answer at the door, card left.",
            "Moved to {HA} last month after the eviction.",
            "ADDRESS GIVEN AS {HA}, NOT KNOWN TO POLICE.",
            "Correspondence c/o {HA}.",
        ],
    },
}


class _ClassWords:
    """The split's share of each word pool, and generators for the hard classes' values."""

    def __init__(self, split: str, rng: random.Random, faker) -> None:
        pool_split = "heldout" if split == "heldout" else "dev"
        self.rng = rng
        self.faker = faker
        self.surnames = _pool(_WORD_SURNAME_POOL, pool_split)
        self.given = _pool(_WORD_GIVEN_POOL, pool_split)
        self.house_words = _pool(_HOUSE_WORD_POOL, pool_split)
        self.the_names = _pool(_THE_NAME_POOL, pool_split)
        self.prefixes = _pool(_COMPOUND_PREFIX_POOL, pool_split)
        self.suffixes = _pool(_COMPOUND_SUFFIX_POOL, pool_split)

    def surname(self) -> str:
        return self.rng.choice(self.surnames)

    def given_name(self) -> str:
        # half everyday-word given names ("Grace"), half ordinary British ones
        return self.rng.choice(self.given) if self.rng.random() < 0.5 else self.faker.first_name()

    def house(self, town: str, postcode: str) -> str:
        rng = self.rng
        compound = rng.choice(self.prefixes) + rng.choice(self.suffixes)
        form = rng.randrange(9)
        if form == 0:
            text = f"{rng.randint(1, 120)} {compound}"
        elif form == 1:
            text = f"Flat {rng.randint(1, 30)} {compound}"
        elif form == 2:
            text = f"Flat {rng.randint(1, 30)}, {compound}"
        elif form == 3:
            text = f"{rng.randint(1, 120)}{rng.choice(['', '', 'a', 'b'])} {compound}"
        elif form in (4, 5):
            text = f"{rng.choice(self.house_words)} {rng.choice(_HOUSE_KINDS)}"
        elif form == 6:
            text = f"The {rng.choice(self.the_names)}"
        elif form == 7:
            text = f"The {rng.choice(_THE_OLD)}"
        else:
            text = f"{rng.choice(self.house_words)} {rng.choice(_HOUSE_KINDS)}, {compound}"
        tail = rng.random()
        if tail < 0.35:
            text += f", {town}"
        elif tail < 0.5:
            text += f" {postcode}"
        elif tail < 0.6:
            text += f", {town} {postcode}"
        return text


def _class_narrative(
    split: str, i: int, rng: random.Random, words: _ClassWords, ids: _Ids, filler: list[str]
) -> Narrative:
    """One narrative around a hard-class sentence (sometimes two, of different classes), with filler sentences."""
    templates = CLASS_TEMPLATES["heldout" if split == "heldout" else "dev"]
    first = CLASSES[i % len(CLASSES)]
    chosen = [(first, rng.choice(templates[first]))]
    if rng.random() < 0.3:
        other = rng.choice([c for c in CLASSES if c != first])
        chosen.append((other, rng.choice(templates[other])))
    dob_value, _ = ids.dob()
    postcode = ids.postcode(words.faker.postcode())
    town = words.faker.city()
    house = words.house(town, postcode)
    subject_surname = words.surname()
    subject_given = words.given_name()

    def prefixed(kind: str) -> tuple[str, str]:
        if kind == "T":
            return rng.choice(_TITLES), subject_surname
        if kind == "R":
            return rng.choice(_RANKS), words.surname()
        return rng.choice(_ROLES), words.surname()

    pieces: list[tuple[str, list[tuple[int, int, str, str]]]] = []
    for cls, template in chosen:
        caps = template.isupper()
        text, spans = _fill_class(template, cls, caps, rng, words, ids, prefixed, dob_value, house, subject_given)
        pieces.append((text, spans))
    for sentence in rng.sample(filler, k=rng.randint(1, 2)):
        pieces.append((sentence, []))
    rng.shuffle(pieces)
    if any(t.isupper() for t, _ in pieces) and rng.random() < 0.7:
        # a police log in capitals: every sentence upper case (unless a letter would change length)
        pieces = [(t.upper(), s) if len(t.upper()) == len(t) else (t, s) for t, s in pieces]
    text_parts: list[str] = []
    spans: list[tuple[int, int, str]] = []
    classes: list[str] = []
    pos = 0
    for t, local in pieces:
        if text_parts:
            text_parts.append(" ")
            pos += 1
        text_parts.append(t)
        for a, b, entity, cls in local:
            spans.append((pos + a, pos + b, entity))
            classes.append(cls)
        pos += len(t)
    text = "".join(text_parts)
    known = {
        "given_name": subject_given,
        "family_name": subject_surname,
        "date_of_birth": dob_value.isoformat(),
        "address": house,
        "postcode": postcode,
    }
    return Narrative(f"{split}-c{i:05d}", text, spans, known, "hard_class", "word_names", span_classes=classes)


def _fill_class(template, cls, caps, rng, words, ids, prefixed, dob_value, house, subject_given):
    """Fill one hard-class template; spans are (start, end, entity, class) with offsets into the sentence."""
    out: list[str] = []
    spans: list[tuple[int, int, str, str]] = []
    pos = 0
    last = 0

    def put(text: str, entity: str | None = None, span_class: str = "") -> None:
        nonlocal pos
        if caps:
            text = text.upper()
        if entity == "PERSON":
            offset = 0
            for word in text.split(" "):
                spans.append((pos + offset, pos + offset + len(word), entity, span_class))
                offset += len(word) + 1
        elif entity:
            spans.append((pos, pos + len(text), entity, span_class))
        out.append(text)
        pos += len(text)

    for m in _SLOT.finditer(template):
        put(template[last : m.start()])
        slot = m.group(1)
        if slot == "DOBC":
            put(compact_dob(dob_value, rng.choice(_COMPACT_DOB_FORMATS)), "DATE_OF_BIRTH", CLASS_COMPACT_DOB)
        elif slot in ("T", "R", "L"):
            prefix, surname = prefixed(slot)
            if slot == "L" and m.start() == 0:
                prefix = prefix[0].upper() + prefix[1:]
            put(prefix + " ")
            put(surname, "PERSON", CLASS_WORD_SURNAME)
        elif slot == "WSURNAME":
            put(words.surname(), "PERSON", CLASS_WORD_SURNAME)
        elif slot == "TG":
            title, surname = prefixed("T")
            put(title + " ")
            put(f"{subject_given} {surname}", "PERSON", CLASS_WORD_SURNAME)
        elif slot == "WN":
            form = rng.random()
            if form < 0.7:
                put(f"{words.given_name()} {words.surname()}", "PERSON", CLASS_CAPS_NAME)
            elif form < 0.85:
                put(rng.choice(_TITLES) + " ")
                put(words.surname(), "PERSON", CLASS_CAPS_NAME)
            else:
                put(rng.choice(words.given), "PERSON", CLASS_CAPS_NAME)
        elif slot == "RW":
            put(rng.choice(_RANKS) + " ")
            put(words.surname(), "PERSON", CLASS_CAPS_NAME)
        elif slot == "HA":
            put(house, "STREET_ADDRESS", CLASS_HOUSE)
        elif slot == "PHONE":
            put(ids.phone(), "PHONE_NUMBER")
        elif slot == "EMAIL":
            user = re.sub(r"[^a-z0-9.]", "", f"{subject_given}.{words.surname()}".lower()) or "user"
            put(f"{user}@{rng.choice(EMAIL_DOMAINS)}", "EMAIL_ADDRESS")
        else:
            raise KeyError(slot)
        last = m.end()
    put(template[last:])
    return "".join(out), spans
