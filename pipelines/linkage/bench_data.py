"""Corrupted person records with known truth, for measuring linkage (tests and ``hfc bench link``).

People are drawn with names that depend on an ethnicity group (so linkage error can be measured by group), a date
of birth, sex, an NHS number with a valid check digit, and one or two addresses over time. Relatives share a family
name and address, and a few twins share a date of birth too: these are the near-misses that cause false links.
Each person then has one or more agency records, each corrupted the way agency records are (FEBRL-style): typing
errors, nicknames, given and family names swapped, day and month transposed, partial or missing dates, NHS numbers
missing for the agencies that rarely collect them or mistyped, a move of address, case and spacing noise, a married
name. The mental health trust's records (``mh``) carry the trust's patient number, with duplicate registrations and
a few mistyped numbers. Everything is synthetic; the generator is seeded, so a benchmark is reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.linkage.normalise import NICKNAME_GROUPS

SOURCES = ("police", "ambulance", "ed", "mh", "council")
# Probability that each agency's record carries the NHS number.
NHS_PRESENT = {"police": 0.1, "ambulance": 0.6, "ed": 0.85, "mh": 0.9, "council": 0.3}
SOURCE_WEIGHTS = (0.3, 0.2, 0.25, 0.15, 0.1)

ETHNICITY_GROUPS = ("White", "Asian", "Black", "Mixed", "Other")
ETHNICITY_WEIGHTS = (0.82, 0.08, 0.04, 0.03, 0.03)

_GIVEN = {
    ("White", "M"): "JAMES JOHN ROBERT MICHAEL WILLIAM DAVID RICHARD THOMAS CHRISTOPHER DANIEL MATTHEW ANTHONY "
    "ANDREW PAUL MARK STEPHEN PETER GEORGE EDWARD JOSEPH SAMUEL BENJAMIN OLIVER HARRY JACK CHARLIE LIAM CONNOR "
    "CALLUM LUKE RYAN ADAM KEVIN GARY LEE DEAN SCOTT JASON CRAIG SHAUN NEIL IAN GRAHAM KEITH ALAN COLIN BARRY "
    "TERENCE RAYMOND FREDERICK ALBERT ALFRED HENRY PATRICK SEAN DECLAN KIERAN NATHAN JAMIE ROSS JORDAN TYLER KYLE",
    ("White", "F"): "MARY ELIZABETH MARGARET SARAH EMMA JESSICA SUSAN KAREN LISA HELEN CLAIRE LOUISE NICOLA "
    "RACHEL REBECCA LAURA AMY HANNAH CHLOE SOPHIE CHARLOTTE EMILY OLIVIA GRACE LUCY KATIE JADE GEMMA KELLY DONNA "
    "TRACEY JULIE JOANNE DAWN ANGELA JACQUELINE PATRICIA BARBARA CATHERINE VICTORIA SAMANTHA DEBORAH CAROL "
    "CHRISTINE JANET LINDA PAULINE SHARON ALISON AMANDA ABIGAIL ELEANOR ISABEL MOLLY ELLIE MEGAN ZOE LEANNE SIAN",
    ("Asian", "M"): "MOHAMMED MUHAMMAD AHMED ALI HASSAN HUSSAIN IMRAN ASIF TARIQ BILAL USMAN HAMZA ZAIN ARJUN "
    "RAVI SANJAY VIJAY RAJESH AMIT ROHAN KRISHNA DEEPAK SUNIL ANIL HARPREET GURPREET JASPREET MANDEEP KULDEEP "
    "IBRAHIM YUSUF ABDUL RASHID SHAHID NADEEM WASIM FAISAL ADNAN SAJID ZAHID ARIF",
    ("Asian", "F"): "FATIMA AISHA AYESHA ZAINAB MARIAM SANA NADIA SHAZIA SAIMA RUBINA PRIYA ANJALI POOJA DEEPA "
    "SUNITA ANITA KAVITA NEHA RIYA SIMRAN HARJIT MANJIT PARVEEN NASREEN SHABANA RUKHSANA SAMINA HUMA ZARA "
    "AMINA HALIMA KHADIJA SAFIA YASMIN NOOR",
    ("Black", "M"): "OLUWASEUN CHIDI EMEKA KWAME KOFI YAW DANIEL SAMUEL EMMANUEL DAVID JOSHUA ISAAC TUNDE SEGUN "
    "ABDI MOHAMED AHMED HASSAN YUSUF OMAR DESMOND WINSTON LEROY DELROY MARCUS TYRONE JERMAINE DWAYNE ANDRE KOJO",
    ("Black", "F"): "CHIOMA NGOZI ADAEZE FOLAKE FUNMILAYO ABENA AMA AKOSUA GRACE BLESSING PRECIOUS FAITH "
    "PATIENCE MERCY HODAN FARTUN AMINA SHANICE MONIQUE KEISHA TANISHA JASMINE ESTHER DEBORAH RUTH NIA IMANI",
    ("Mixed", "M"): "JAYDEN TYLER LEWIS MASON ELIJAH NOAH ISAIAH JOSHUA JORDAN MARCUS CALEB ZAC MALIK KAI RILEY",
    ("Mixed", "F"): "AALIYAH JASMINE MAYA LEAH AMARA SIENNA SKYE KIARA NAOMI ZARA ELLA LAYLA TIANA MIA ANYA",
    ("Other", "M"): "PIOTR TOMASZ KRZYSZTOF ANDREI MIHAI IONUT LUKAS JONAS DARIUS AHMAD REZA ALI OMAR WEI JUN "
    "HAO MINH DUC JOAO PEDRO CARLOS JOSE LUIS MATEUS VIKTOR DMITRI SERGEI",
    ("Other", "F"): "ANNA AGNIESZKA KATARZYNA MAGDALENA ELENA IOANA MARIA ANDREEA LINA EGLE FATEMEH MARYAM LEILA "
    "XIN MEI LING THI HOA ANA SOFIA BEATRIZ CAMILA OLGA IRINA NATALIA TATIANA",
}

_FAMILY = {
    "White": "SMITH JONES WILLIAMS TAYLOR BROWN DAVIES EVANS WILSON THOMAS JOHNSON ROBERTS ROBINSON THOMPSON "
    "WRIGHT WALKER WHITE EDWARDS HUGHES GREEN HALL LEWIS HARRIS CLARKE PATEL JACKSON WOOD TURNER MARTIN COOPER "
    "HILL WARD MORRIS MOORE CLARK LEE KING BAKER HARRISON MORGAN ALLEN JAMES SCOTT PHILLIPS WATSON DAVIS PARKER "
    "PRICE BENNETT YOUNG GRIFFITHS MITCHELL KELLY COOK CARTER RICHARDSON BAILEY COLLINS BELL SHAW MURPHY MILLER "
    "COX RICHARDS KHAN MARSHALL ANDERSON SIMPSON ELLIS ADAMS SINGH BEGUM WILKINSON FOSTER CHAPMAN POWELL WEBB "
    "ROGERS GRAY MASON ALI HUNT HUSSAIN CAMPBELL MATTHEWS OWEN PALMER HOLMES MILLS BARNES KNIGHT LLOYD BUTLER "
    "RUSSELL BARKER FISHER STEVENS JENKINS MURRAY DIXON HARVEY OBRIEN MCDONALD FLETCHER SUTTON PEARCE",
    "Asian": "KHAN PATEL HUSSAIN ALI AHMED BEGUM SINGH SHAH AKHTAR IQBAL MAHMOOD RAHMAN CHOUDHURY MIAH ISLAM "
    "BIBI KAUR SHARMA KUMAR GILL SANDHU SIDHU DHILLON MISTRY PAREKH JOSHI DESAI MEHTA RANA BUTT MALIK QURESHI "
    "ANWAR ASLAM NAWAZ RIAZ SADIQ",
    "Black": "OKAFOR OKONKWO ADEYEMI ADEBAYO MENSAH OWUSU BOATENG ASANTE MOHAMED ABDI HASSAN WILLIAMS JOHNSON "
    "CAMPBELL BROWN SMITH GRANT FRANCIS EDWARDS THOMPSON OSEI APPIAH OYELARAN BANKOLE NWOSU EZE OBI IBRAHIM",
    "Mixed": "SMITH JONES BROWN WILLIAMS CAMPBELL THOMAS JAMES FRANCIS GRANT WALKER KHAN ALI MORGAN REID",
    "Other": "NOWAK KOWALSKI WISNIEWSKI WOJCIK POPESCU IONESCU POPA KAZLAUSKAS PETRAUSKAS SILVA SANTOS OLIVEIRA "
    "FERREIRA NGUYEN TRAN WANG LI ZHANG CHEN LIU IVANOV PETROV SMIRNOV HOSSEINI AHMADI RODRIGUEZ GARCIA",
}

_SYLLABLES = [
    "AB",
    "BER",
    "CAR",
    "DEN",
    "EL",
    "FORD",
    "GAR",
    "HAM",
    "HOL",
    "KER",
    "LAN",
    "LEY",
    "MER",
    "NOR",
    "PEN",
    "RAD",
    "ROW",
    "SHAW",
    "STON",
    "TER",
    "THORN",
    "VER",
    "WELL",
    "WICK",
    "WIN",
    "WOOD",
    "BRAD",
    "CROFT",
    "DALE",
    "FIELD",
    "GATE",
    "HURST",
    "LOCK",
    "MORE",
    "STEAD",
    "TON",
    "WORTH",
    "BURY",
    "COMBE",
    "FOLD",
    "HOLT",
    "LEIGH",
    "MAN",
    "SON",
]
_STREETS = [
    "HIGH",
    "CHURCH",
    "STATION",
    "VICTORIA",
    "MILL",
    "PARK",
    "MANOR",
    "QUEENS",
    "KINGS",
    "NEW",
    "SCHOOL",
    "ALBERT",
    "GEORGE",
    "YORK",
    "LONDON",
    "BRIDGE",
    "MARKET",
    "GREEN",
    "CHAPEL",
    "WEST",
    "EAST",
    "NORTH",
    "SOUTH",
    "ELM",
    "OAK",
    "ASH",
    "BEECH",
    "WILLOW",
    "CEDAR",
    "MAPLE",
    "HOLLY",
    "ROSE",
    "MEADOW",
    "ORCHARD",
    "RIVERSIDE",
    "WINDSOR",
    "RICHMOND",
    "GROSVENOR",
    "CLARENCE",
    "NELSON",
    "WELLINGTON",
]
_STREET_TYPES = ("ROAD", "STREET", "LANE", "AVENUE", "CLOSE", "DRIVE", "WAY", "GARDENS", "CRESCENT", "PLACE")
_TOWNS = [
    "SWINDON",
    "SALISBURY",
    "CHIPPENHAM",
    "TROWBRIDGE",
    "DEVIZES",
    "MARLBOROUGH",
    "MELKSHAM",
    "WARMINSTER",
    "CALNE",
    "CORSHAM",
]
_AREAS = ("SN", "SP", "BA", "RG", "GL")
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_KEYBOARD = {
    "A": "QSZ",
    "B": "VGN",
    "C": "XDV",
    "D": "SFE",
    "E": "WRD",
    "F": "DGR",
    "G": "FHT",
    "H": "GJY",
    "I": "UOK",
    "J": "HKU",
    "K": "JLI",
    "L": "KO",
    "M": "NJ",
    "N": "BMH",
    "O": "IPL",
    "P": "OL",
    "Q": "WA",
    "R": "ETF",
    "S": "ADW",
    "T": "RYG",
    "U": "YIJ",
    "V": "CB",
    "W": "QES",
    "X": "ZC",
    "Y": "TUH",
    "Z": "XA",
}
_NICKS = {group[0]: group[1:] for group in NICKNAME_GROUPS}


@dataclass(frozen=True)
class ErrorRates:
    """Per-record corruption probabilities (FEBRL-like defaults)."""

    given_typo: float = 0.08
    family_typo: float = 0.08
    nickname: float = 0.10
    swapped_names: float = 0.03
    given_missing: float = 0.02
    family_missing: float = 0.01
    dob_transposed: float = 0.03
    dob_typo: float = 0.04
    dob_year_only: float = 0.02
    dob_missing: float = 0.04
    dob_uk_format: float = 0.05
    sex_missing: float = 0.05
    sex_wrong: float = 0.005
    postcode_typo: float = 0.02
    postcode_missing: float = 0.08
    address_missing: float = 0.1
    address_typo: float = 0.04
    nhs_typo: float = 0.01
    lower_case: float = 0.2
    married_name: float = 0.03
    trust_registered_twice: float = 0.02  # of people: a second trust patient number (a duplicate registration)
    trust_number_typo: float = 0.005  # of trust records: one digit of the patient number mistyped


def _weights(n: int, rng: np.random.Generator, offset: float = 15.0) -> np.ndarray:
    """Zipf-like weights: a few common values and a long tail, as real name frequencies are.

    The offset flattens the head so the commonest value is near real frequencies (Smith is about 1.3% of people in
    England and Wales; the commonest given name in a birth cohort 3-4%), not the 6% a bare 1/k gives.
    """
    w = 1.0 / (np.arange(1, n + 1) + offset)
    rng.shuffle(w[n // 5 :])
    return w / w.sum()


def _nhs_numbers(n: int, rng: np.random.Generator) -> np.ndarray:
    out: list[str] = []
    seen: set[str] = set()
    weights = np.arange(10, 1, -1)
    while len(out) < n:
        digits = rng.integers(0, 10, size=(2 * (n - len(out)) + 10, 9))
        digits[:, 0] = rng.integers(4, 10, size=len(digits))
        check = 11 - (digits * weights).sum(axis=1) % 11
        check = np.where(check == 11, 0, check)
        for row, c in zip(digits, check, strict=True):
            if c == 10:
                continue
            value = "".join(map(str, row)) + str(c)
            if value not in seen:
                seen.add(value)
                out.append(value)
                if len(out) == n:
                    break
    return np.array(out, dtype=object)


def _synthetic_surnames(n: int, rng: np.random.Generator) -> list[str]:
    names: set[str] = set()
    while len(names) < n:
        k = rng.integers(2, 4)
        names.add("".join(rng.choice(_SYLLABLES, size=k)))
    return sorted(names)


def generate_people(n_people: int, seed: int = 0) -> pd.DataFrame:
    """People with true identifiers: ``person_id, given_name, family_name, sex, date_of_birth, nhs_number,
    postcode, address, postcode_2, address_2, ethnicity_group``."""
    rng = np.random.default_rng(seed)
    eth = rng.choice(ETHNICITY_GROUPS, size=n_people, p=ETHNICITY_WEIGHTS)
    sex = rng.choice(np.array(["M", "F"]), size=n_people)
    given = np.empty(n_people, dtype=object)
    family = np.empty(n_people, dtype=object)
    tail = _synthetic_surnames(max(200, min(60_000, n_people // 5)), rng)
    for group in ETHNICITY_GROUPS:
        fam_list = _FAMILY[group].split()
        if group == "White":
            fam_list = fam_list + tail
        fam_w = _weights(len(fam_list), rng)
        in_group = eth == group
        family[in_group] = rng.choice(fam_list, size=int(in_group.sum()), p=fam_w)
        for s in ("M", "F"):
            names = _GIVEN[(group, s)].split()
            mask = in_group & (sex == s)
            given[mask] = rng.choice(names, size=int(mask.sum()), p=_weights(len(names), rng, offset=8.0))
    start = np.datetime64("1940-01-01")
    dob = start + rng.integers(0, 365 * 66, size=n_people).astype("timedelta64[D]")
    nhs = _nhs_numbers(n_people, rng)

    def addresses(k: int) -> tuple[np.ndarray, np.ndarray]:
        area = rng.choice(_AREAS, size=k)
        district = rng.integers(1, 30, size=k)
        sector = rng.integers(0, 10, size=k)
        letters = rng.choice(list(_INWARD_LETTERS), size=(k, 2))
        pcs = np.array(
            [f"{a}{d} {s}{x}{y}" for a, d, s, (x, y) in zip(area, district, sector, letters, strict=True)], dtype=object
        )
        num = rng.integers(1, 200, size=k)
        street = rng.choice(_STREETS, size=k)
        stype = rng.choice(_STREET_TYPES, size=k)
        town = rng.choice(_TOWNS, size=k)
        flat = rng.random(k) < 0.15
        flat_no = rng.integers(1, 30, size=k)
        addr = np.array(
            [
                (f"FLAT {fn}, " if f else "") + f"{n} {s} {t}, {tw}"
                for n, s, t, tw, f, fn in zip(num, street, stype, town, flat, flat_no, strict=True)
            ],
            dtype=object,
        )
        return pcs, addr

    pc1, addr1 = addresses(n_people)
    pc2, addr2 = addresses(n_people)
    moved = rng.random(n_people) < 0.25
    pc2 = np.where(moved, pc2, None)
    addr2 = np.where(moved, addr2, None)
    people = pd.DataFrame(
        {
            "person_id": [f"T{i:08d}" for i in range(n_people)],
            "given_name": given,
            "family_name": family,
            "sex": sex,
            "date_of_birth": dob.astype(str),
            "nhs_number": nhs,
            "postcode": pc1,
            "address": addr1,
            "postcode_2": pc2,
            "address_2": addr2,
            "ethnicity_group": eth,
        }
    )
    # Relatives: share family name and address with the previous person; a fifth of them are twins (same dob).
    rel = np.flatnonzero(rng.random(n_people) < 0.10)
    rel = rel[rel > 0]
    src = rel - 1
    for col in ("family_name", "postcode", "address", "postcode_2", "address_2", "ethnicity_group"):
        people.loc[rel, col] = people.loc[src, col].to_numpy()
    twins = rel[rng.random(len(rel)) < 0.03]
    people.loc[twins, "date_of_birth"] = people.loc[twins - 1, "date_of_birth"].to_numpy()
    return people


def _typo(value: str, rng: np.random.Generator) -> str:
    if not value:
        return value
    i = int(rng.integers(0, len(value)))
    op = rng.integers(0, 4)
    ch = value[i]
    if op == 0:  # substitute with a neighbouring key
        near = _KEYBOARD.get(ch.upper(), "E")
        return value[:i] + near[int(rng.integers(0, len(near)))] + value[i + 1 :]
    if op == 1 and len(value) > 2:  # delete
        return value[:i] + value[i + 1 :]
    if op == 2:  # insert a doubled letter
        return value[:i] + ch + value[i:]
    if i < len(value) - 1:  # transpose
        return value[:i] + value[i + 1] + value[i] + value[i + 2 :]
    return value + "E"


def _digit_typo(value: str, rng: np.random.Generator) -> str:
    positions = [i for i, c in enumerate(value) if c.isdigit()]
    if not positions:
        return value
    i = positions[int(rng.integers(0, len(positions)))]
    new = str((int(value[i]) + int(rng.integers(1, 10))) % 10)
    return value[:i] + new + value[i + 1 :]


def _trust_numbers(person_idx: np.ndarray, source: np.ndarray, seed: int, errors: ErrorRates) -> np.ndarray:
    """The mental health trust's patient number on its (``mh``) records, as trusts hold them: one number per
    patient, a second one for the patients registered twice, and a few numbers mistyped (which may be another
    patient's). Drawn from their own random stream, so every other field is the same with or without them."""
    rng = np.random.default_rng(seed + 7919)
    n_people = int(person_idx.max()) + 1 if len(person_idx) else 0
    number = (np.arange(n_people, dtype=np.int64) * 7919 + 104729) % 10_000_000
    second = (number + 5_000_000) % 10_000_000
    registered_twice = rng.random(n_people) < errors.trust_registered_twice
    out = np.full(len(person_idx), None, dtype=object)
    mh = np.flatnonzero(source == "mh")
    use_second = registered_twice[person_idx[mh]] & (rng.random(len(mh)) < 0.5)
    values = np.where(use_second, second[person_idx[mh]], number[person_idx[mh]])
    out[mh] = [f"MH{v:07d}" for v in values]
    for i in mh[rng.random(len(mh)) < errors.trust_number_typo]:
        out[i] = "MH" + _digit_typo(out[i][2:], rng)
    return out


def generate_records(
    n_records: int, seed: int = 0, mean_records_per_person: float = 3.0, errors: ErrorRates | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(records, truth)``: canonical linkage input and ``record_id, source, person_id, ethnicity_group``.

    The number of records per person is 1 + Poisson (mean ``mean_records_per_person``), so most people have several
    records across agencies, as the people contacting crisis services most often do.
    """
    errors = errors or ErrorRates()
    rng = np.random.default_rng(seed + 1)
    n_people = max(1, int(n_records / mean_records_per_person * 1.05))
    people = generate_people(n_people, seed=seed)
    counts = 1 + rng.poisson(mean_records_per_person - 1, size=n_people)
    person_idx = np.repeat(np.arange(n_people), counts)[:n_records]
    rng.shuffle(person_idx)
    n = len(person_idx)
    p = people.iloc[person_idx].reset_index(drop=True)
    source = rng.choice(SOURCES, size=n, p=SOURCE_WEIGHTS)
    given = p["given_name"].to_numpy(dtype=object).copy()
    family = p["family_name"].to_numpy(dtype=object).copy()
    dob = p["date_of_birth"].to_numpy(dtype=object).copy()
    sex = p["sex"].to_numpy(dtype=object).copy()
    nhs = p["nhs_number"].to_numpy(dtype=object).copy()
    use_second = p["postcode_2"].notna().to_numpy() & (rng.random(n) < 0.5)
    postcode = np.where(use_second, p["postcode_2"], p["postcode"]).astype(object)
    address = np.where(use_second, p["address_2"], p["address"]).astype(object)

    def pick(rate: float) -> np.ndarray:
        return np.flatnonzero(rng.random(n) < rate)

    # married name: a woman's later records carry a new family name
    married = pick(errors.married_name)
    married = married[sex[married] == "F"]
    family[married] = rng.choice(_FAMILY["White"].split(), size=len(married))
    for i in pick(errors.nickname):
        nicks = _NICKS.get(given[i])
        if nicks:
            given[i] = nicks[int(rng.integers(0, len(nicks)))]
    for i in pick(errors.given_typo):
        given[i] = _typo(given[i], rng)
    for i in pick(errors.family_typo):
        family[i] = _typo(family[i], rng)
    swapped = pick(errors.swapped_names)
    given[swapped], family[swapped] = family[swapped].copy(), given[swapped].copy()
    given[pick(errors.given_missing)] = None
    family[pick(errors.family_missing)] = None
    for i in pick(errors.dob_transposed):
        y, m, d = dob[i].split("-")
        if int(d) <= 12:
            dob[i] = f"{y}-{d}-{m}"
    for i in pick(errors.dob_typo):
        y, m, d = dob[i].split("-")
        part = int(rng.integers(0, 3))
        if part == 0:
            y = y[:2] + _digit_typo(y[2:], rng)
        elif part == 1:
            m = f"{min(12, max(1, int(_digit_typo(m, rng)))):02d}"
        else:
            d = f"{min(28, max(1, int(_digit_typo(d, rng)))):02d}"
        dob[i] = f"{y}-{m}-{d}"
    for i in pick(errors.dob_year_only):
        dob[i] = dob[i][:4]
    for i in pick(errors.dob_uk_format):
        parts = dob[i].split("-")
        if len(parts) == 3:
            dob[i] = f"{parts[2]}/{parts[1]}/{parts[0]}"
    dob[pick(errors.dob_missing)] = None
    sex[pick(errors.sex_missing)] = None
    wrong = pick(errors.sex_wrong)
    sex[wrong] = np.where(sex[wrong] == "M", "F", "M")
    for i in pick(errors.postcode_typo):
        postcode[i] = _typo(postcode[i], rng)
    postcode[pick(errors.postcode_missing)] = None
    for i in pick(errors.address_typo):
        address[i] = _typo(address[i], rng)
    abbreviate = pick(0.3)
    for i in abbreviate:
        a = address[i]
        address[i] = a.replace(" ROAD", " RD").replace(" STREET", " ST").replace(" AVENUE", " AVE") if a else a
    address[pick(errors.address_missing)] = None
    present = rng.random(n) < np.vectorize(NHS_PRESENT.get)(source)
    nhs = np.where(present, nhs, None).astype(object)
    for i in pick(errors.nhs_typo):
        if nhs[i] is not None:
            nhs[i] = _digit_typo(nhs[i], rng)
    spaced = pick(0.2)
    nhs[spaced] = [f"{v[:3]} {v[3:6]} {v[6:]}" if v else v for v in nhs[spaced]]
    for i in pick(errors.lower_case):
        given[i] = given[i].title() if given[i] else given[i]
        family[i] = family[i].lower() if family[i] else family[i]
        address[i] = address[i].title() if address[i] else address[i]
        postcode[i] = postcode[i].lower() if postcode[i] else postcode[i]
    local_id = _trust_numbers(person_idx, source, seed, errors)
    record_id = np.array([f"R{i:08d}" for i in range(n)], dtype=object)
    records = pd.DataFrame(
        {
            "record_id": record_id,
            "source": source,
            "nhs_number": nhs,
            "given_name": given,
            "family_name": family,
            "date_of_birth": dob,
            "sex": sex,
            "postcode": postcode,
            "address": address,
            "local_patient_id": local_id,
        }
    )
    truth = pd.DataFrame(
        {
            "record_id": record_id,
            "source": source,
            "person_id": p["person_id"].to_numpy(),
            "ethnicity_group": p["ethnicity_group"].to_numpy(),
        }
    )
    return records, truth
