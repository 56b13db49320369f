"""Clean the identity columns of agency records into the shape the linkage model compares.

Agencies type the same person differently: "o'brien", "O BRIEN"; "Bob" for "Robert"; 03/04/1980 for 1980-04-03;
"sw1a1aa" for "SW1A 1AA". Everything here is vectorised over a DataFrame (a million records must clean in seconds)
and never raises on a bad value: a value that cannot be read becomes missing, and the caller counts it.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import numpy as np
import pandas as pd

CANONICAL_COLUMNS: tuple[str, ...] = (
    "record_id",
    "source",
    "nhs_number",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "postcode",
    "address",
)
# Optional columns, used when a feed carries them: phone and email (police, ambulance, council, MH trust, feedback),
# and the mental health trust's own patient number (its contacts, its outcome questionnaires and the programme
# caseload), which is deterministic evidence within the trust (see ``model.local_id_links``).
OPTIONAL_COLUMNS: tuple[str, ...] = ("phone", "email", "local_patient_id")

# Nickname groups: every name in a group is treated as the same given name. The first entry is the canonical form.
# Ambiguous short forms ("Al", "Sam", "Alex", "Chris") belong to the first group that lists them; the fuzzy name
# comparison still scores the others.
NICKNAME_GROUPS: tuple[tuple[str, ...], ...] = (
    ("WILLIAM", "BILL", "BILLY", "WILL", "WILLY", "WILLIE", "LIAM", "WILF"),
    ("ROBERT", "BOB", "BOBBY", "ROB", "ROBBIE", "ROBBY", "BERT", "BERTIE"),
    ("ELIZABETH", "LIZ", "LIZZIE", "LIZZY", "BETH", "BETTY", "BETSY", "ELIZA", "LIBBY", "BESS", "BESSIE", "ELISE"),
    ("MARGARET", "PEGGY", "MAGGIE", "MEG", "MEGAN", "MADGE", "MARGIE", "MAISIE", "GRETA", "PEG", "RITA"),
    ("RICHARD", "DICK", "RICK", "RICKY", "RICH", "RICHIE", "DICKIE"),
    ("JAMES", "JIM", "JIMMY", "JAMIE", "JIMMIE", "JIMBO"),
    ("JOHN", "JACK", "JOHNNY", "JON", "JONNY", "JOHNNIE", "IAN", "SEAN", "EOIN"),
    ("JONATHAN", "JONNY", "JON", "NATHAN"),
    ("MICHAEL", "MIKE", "MICK", "MICKY", "MICKEY", "MIKEY", "MITCH"),
    ("THOMAS", "TOM", "TOMMY", "THOM"),
    ("ANTHONY", "TONY", "ANT", "ANTON"),
    ("CHRISTOPHER", "CHRIS", "KIT", "TOPHER", "CHRISSY"),
    ("CHRISTINE", "CHRISTINA", "TINA", "CHRISSIE", "KIRSTY", "KRISTINE"),
    ("DAVID", "DAVE", "DAVY", "DAVIE", "DAI"),
    ("DANIEL", "DAN", "DANNY"),
    ("EDWARD", "ED", "EDDIE", "EDDY", "TED", "TEDDY", "NED"),
    ("EDMUND", "EDMOND"),
    ("ALEXANDER", "ALEX", "ALEC", "SANDY", "XANDER", "ALISTAIR", "ALASTAIR", "ALI"),
    ("ALEXANDRA", "ALEXA", "LEXI", "LEXIE", "SANDRA", "ALEXIS"),
    ("ANDREW", "ANDY", "DREW", "ANDIE"),
    ("BENJAMIN", "BEN", "BENNY", "BENJI"),
    ("CHARLES", "CHARLIE", "CHUCK", "CHAS", "CHAZ"),
    ("CATHERINE", "KATHERINE", "KATHRYN", "CATHRYN", "KATE", "KATIE", "KATY", "CATH", "CATHY", "KATHY", "KAT", "KAY"),
    ("DEBORAH", "DEBRA", "DEBBIE", "DEBBY", "DEB"),
    ("FREDERICK", "FRED", "FREDDIE", "FREDDY", "FREDDIE"),
    ("GEORGE", "GEORDIE"),
    ("HENRY", "HARRY", "HAL", "HANK"),
    ("JOSEPH", "JOE", "JOEY", "JOS"),
    ("JOSEPHINE", "JO", "JOSIE", "JOSIE"),
    ("KENNETH", "KEN", "KENNY"),
    ("LAWRENCE", "LAURENCE", "LARRY", "LAURIE"),
    ("LEONARD", "LEN", "LENNY", "LEO"),
    ("MATTHEW", "MATT", "MATTY", "MAT"),
    ("NICHOLAS", "NICK", "NICKY", "NICO", "COLIN"),
    ("NICOLA", "NICKI", "NIKKI", "NICOLE"),
    ("PATRICK", "PAT", "PADDY", "PATSY"),
    ("PATRICIA", "TRISH", "TRISHA", "PATTY", "PATTI", "TRICIA"),
    ("PETER", "PETE"),
    ("PHILIP", "PHILLIP", "PHIL", "PIP"),
    ("RAYMOND", "RAY"),
    ("RONALD", "RON", "RONNIE"),
    ("SAMUEL", "SAM", "SAMMY"),
    ("SAMANTHA", "SAMMIE"),
    ("STEPHEN", "STEVEN", "STEVE", "STEVIE"),
    ("SUSAN", "SUSANNAH", "SUZANNE", "SUE", "SUSIE", "SUZY", "SUZIE"),
    ("TIMOTHY", "TIM", "TIMMY"),
    ("VICTORIA", "VICKY", "VICKI", "VIKKI", "TORI"),
    ("ABIGAIL", "ABBY", "ABBIE", "GAIL"),
    ("ALBERT", "AL", "ALBIE", "BERTIE"),
    ("ALFRED", "ALF", "ALFIE"),
    ("ANNE", "ANN", "ANNA", "ANNIE", "NANCY", "NAN", "HANNAH"),
    ("BARBARA", "BARB", "BABS"),
    ("CAROLINE", "CAROL", "CAROLYN", "CARRIE", "CARO"),
    ("DOROTHY", "DOT", "DOTTY", "DOLLY", "DORA"),
    ("DOUGLAS", "DOUG", "DOUGIE"),
    ("ELEANOR", "ELLIE", "ELLA", "NELL", "NELLIE", "NORA", "LEONORA"),
    ("EMILY", "EMMY", "EM"),
    ("EMMA", "EMMIE"),
    ("FRANCES", "FRAN", "FRANNIE", "FANNY", "FRANKIE"),
    ("FRANCIS", "FRANK", "FRANCO"),
    ("GERALD", "GERRY", "JERRY", "GED"),
    ("GREGORY", "GREG", "GREGG"),
    ("HELEN", "HELENA", "ELLEN", "LENA"),
    ("JACQUELINE", "JACKIE", "JACQUI", "JACKY"),
    ("JENNIFER", "JENNY", "JEN", "JENNI", "JENNIE"),
    ("JESSICA", "JESS", "JESSIE", "JESSY"),
    ("JUDITH", "JUDY", "JUDE"),
    ("LOUISE", "LOUISA", "LOU", "LULU"),
    ("MARY", "MOLLY", "POLLY", "MAE", "MAMIE", "MARIE", "MARIA", "MAY"),
    ("REBECCA", "BECKY", "BECCA", "BECKIE", "BEX"),
    ("RACHEL", "RACHAEL", "RAE"),
    ("SARAH", "SARA", "SALLY", "SAL", "SADIE"),
    ("STUART", "STEWART", "STU"),
    ("TERENCE", "TERRY", "TEL"),
    ("THERESA", "TERESA", "TESS", "TESSA", "TERRI", "TERRIE"),
    ("VINCENT", "VINCE", "VINNIE", "VINNY"),
    ("WALTER", "WALLY", "WALT"),
    ("ZACHARY", "ZACH", "ZAK", "ZACK"),
    ("GABRIEL", "GABE"),
    ("GABRIELLE", "GABBY", "GABBIE", "GABRIELA"),
    ("NATHANIEL", "NAT", "NATE"),
    ("NATALIE", "NATALIA", "NATASHA", "TASHA", "NAT"),
    ("OLIVER", "OLLIE", "OLLY"),
    ("OLIVIA", "LIVVY", "LIV", "LIVIA"),
    ("CAMERON", "CAM"),
    ("DOMINIC", "DOM"),
    ("GARETH", "GAZ", "GARY"),
    ("HAROLD", "HARRY", "HAL"),
    ("ISABEL", "ISABELLA", "ISABELLE", "IZZY", "ISSY", "BELLA", "ISOBEL"),
    ("KIMBERLEY", "KIMBERLY", "KIM"),
    ("MOHAMMED", "MOHAMMAD", "MOHAMED", "MUHAMMAD", "MUHAMMED", "MOHAMAD", "MO", "MOHD"),
    ("YUSUF", "YOUSUF", "YUSEF", "YOUSEF", "JOSEF"),
    ("ABDUL", "ABDULLAH", "ABDALLAH"),
    ("AISHA", "AYESHA", "AISHAH", "AYSHA"),
    ("FATIMA", "FATIMAH", "FATEMA"),
    ("SIOBHAN", "SHIVAUN", "CHEVONNE"),
    ("DECLAN", "DEC"),
    ("ROSEMARY", "ROSE", "ROSIE", "ROSA"),
    ("VALERIE", "VAL"),
    ("MARTIN", "MARTY"),
    ("MAXWELL", "MAX", "MAXIMILIAN", "MAXIMUS"),
    ("SEBASTIAN", "SEB", "SEBBY"),
    ("TOBIAS", "TOBY"),
    ("HARRIET", "HATTIE", "HETTY"),
    ("AMELIA", "AMY", "MILLIE", "EMILIA"),
    ("CHARLOTTE", "LOTTIE", "CHARLIE", "LOTTE"),
    ("WAYNE", "WAZ"),
    ("JOSHUA", "JOSH"),
    ("PATRICIA", "PAT"),
    ("CATHERINE", "CAT"),
    ("SAMANTHA", "SAM", "SAMMY"),
    ("ALEXANDRA", "ALEX"),
    ("CHRISTINE", "CHRIS"),
    ("STEPHANIE", "STEPH", "STEFF", "STEVIE"),
    ("NICOLA", "NICKY"),
    ("DANIELLE", "DANI", "DANNI", "DANNIE"),
    ("AMANDA", "MANDY", "MANDA"),
    ("JOANNE", "JOANNA", "JO", "JOJO"),
    ("KATHLEEN", "KATH", "KATHY", "KAY"),
    ("DARREN", "DAZ"),
    ("LEE", "LEIGH"),
)


def _nickname_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for group in NICKNAME_GROUPS:
        canonical = group[0]
        for name in group:
            lookup.setdefault(name, canonical)
    return lookup


NICKNAMES: dict[str, str] = _nickname_lookup()


def _nickname_groups() -> dict[str, str]:
    """Every canonical name a name can stand for, as "|A|B|" (CHARLIE -> |CHARLES|CHARLOTTE|)."""
    groups: dict[str, list[str]] = {}
    for group in NICKNAME_GROUPS:
        for name in group:
            groups.setdefault(name, [])
            if group[0] not in groups[name]:
                groups[name].append(group[0])
    return {name: "|" + "|".join(canon) + "|" for name, canon in groups.items()}


NICKNAME_ALTERNATIVES: dict[str, str] = _nickname_groups()

_TITLES = {"MR", "MRS", "MS", "MISS", "DR", "PROF", "REV", "SIR", "MX", "LADY", "LORD", "MASTER"}
_SUFFIXES = {"JR", "JNR", "SR", "SNR", "II", "III", "IV"}
_NON_NAME = re.compile(r"[^A-Z ]+")
_APOSTROPHES = re.compile(r"[\u2018\u2019\u02bc`'\u00b4]")
_SPACES = re.compile(r"\s+")
_NON_ALNUM_SPACE = re.compile(r"[^A-Z0-9 ]+")
_NON_ALNUM = re.compile(r"[^A-Z0-9]+")

_ADDRESS_WORDS = {
    "ROAD": "RD",
    "STREET": "ST",
    "AVENUE": "AVE",
    "AV": "AVE",
    "LANE": "LN",
    "DRIVE": "DR",
    "CLOSE": "CL",
    "COURT": "CT",
    "PLACE": "PL",
    "CRESCENT": "CRES",
    "CRESC": "CRES",
    "GARDENS": "GDNS",
    "TERRACE": "TER",
    "TCE": "TER",
    "SQUARE": "SQ",
    "GROVE": "GR",
    "PARK": "PK",
    "HOUSE": "HO",
    "APARTMENT": "FLAT",
    "APT": "FLAT",
    "UNIT": "FLAT",
    "NORTH": "N",
    "SOUTH": "S",
    "EAST": "E",
    "WEST": "W",
    "SAINT": "ST",
    "MOUNT": "MT",
    "HIGHWAY": "HWY",
    "PARADE": "PDE",
    "BOULEVARD": "BLVD",
}

_MONTHS = {
    "JAN": 1,
    "FEB": 2,
    "MAR": 3,
    "APR": 4,
    "MAY": 5,
    "JUN": 6,
    "JUL": 7,
    "AUG": 8,
    "SEP": 9,
    "SEPT": 9,
    "OCT": 10,
    "NOV": 11,
    "DEC": 12,
}

# Dates agency systems use for "unknown": they carry no information about the person.
_PLACEHOLDER_DATES = {"1900-01-01", "1901-01-01", "1800-01-01", "1899-12-31", "1970-01-01", "2000-01-01"}


def _fold(text: str) -> str:
    """Upper case, accents removed (Ó -> O), apostrophes dropped (O'Brien -> OBRIEN)."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("ß", "SS").replace("æ", "AE").replace("Æ", "AE").replace("ø", "O").replace("Ø", "O")
    return _APOSTROPHES.sub("", text).upper()


def _map_unique(series: pd.Series, func) -> pd.Series:
    """Apply a Python function once per distinct value: names and postcodes repeat, so this is fast at scale."""
    values = series.astype("string")
    uniques = values.dropna().unique()
    mapping = {u: func(u) for u in uniques}
    return values.map(mapping).astype("object")


def _clean_name_text(value: str) -> str | None:
    text = _SPACES.sub(" ", _NON_NAME.sub(" ", _fold(value).replace("-", " "))).strip()
    tokens = [t for t in text.split(" ") if t and t not in _TITLES and t not in _SUFFIXES]
    return " ".join(tokens) or None


def clean_given_name(series: pd.Series) -> pd.Series:
    """First given name only, upper case and folded: middle names are recorded too inconsistently to compare."""

    def first(value: str) -> str | None:
        text = _clean_name_text(value)
        return text.split(" ")[0] if text else None

    return _map_unique(series, first)


def clean_family_name(series: pd.Series) -> pd.Series:
    """Whole family name with spaces and hyphens removed: "Smith-Jones", "SMITH JONES" -> "SMITHJONES"."""

    def whole(value: str) -> str | None:
        text = _clean_name_text(value)
        return text.replace(" ", "") if text else None

    return _map_unique(series, whole)


def canonical_given_name(series: pd.Series) -> pd.Series:
    """The nickname group's canonical name (BOB -> ROBERT), or the name itself."""
    return series.map(lambda v: NICKNAMES.get(v, v) if isinstance(v, str) else None).astype("object")


def split_full_name(full_name: pd.Series) -> pd.DataFrame:
    """Split one name column into ``given_name`` and ``family_name``.

    Agencies write "SURNAME, Given" or "Given Surname"; a surname in capitals before a mixed-case given name
    ("SMITH John") is read as surname first. Middle names stay with the given name (comparison uses the first).
    Titles (Mr, Mrs, Dr) are ignored; a single name is taken as the given name.
    """

    def split(value: str) -> tuple[str | None, str | None]:
        text = _SPACES.sub(" ", str(value)).strip()
        if not text:
            return (None, None)
        if "," in text:
            family, _, given = text.partition(",")
            return (given.strip() or None, family.strip() or None)
        tokens = [t for t in text.split(" ") if _fold(t).strip(".") not in _TITLES]
        if not tokens:
            return (None, None)
        if len(tokens) == 1:  # people who sign with one name sign with their given name ("Hannah")
            return (tokens[0], None)
        first_upper = tokens[0].isupper() and len(tokens[0]) > 1
        rest_upper = all(t.isupper() for t in tokens[1:])
        if first_upper and not rest_upper:
            return (" ".join(tokens[1:]), tokens[0])
        last_upper = tokens[-1].isupper() and len(tokens[-1]) > 1
        first_mixed = not tokens[0].isupper()
        if last_upper and first_mixed:
            upper_from = next(i for i, t in enumerate(tokens) if t.isupper() and len(t) > 1)
            return (" ".join(tokens[:upper_from]), " ".join(tokens[upper_from:]))
        return (" ".join(tokens[:-1]), tokens[-1])

    values = full_name.astype("string")
    uniques = values.dropna().unique()
    mapping = {u: split(u) for u in uniques}
    pairs = values.map(mapping)
    given = pairs.map(lambda p: p[0] if isinstance(p, tuple) else None)
    family = pairs.map(lambda p: p[1] if isinstance(p, tuple) else None)
    return pd.DataFrame(
        {"given_name": given.astype("object"), "family_name": family.astype("object")}, index=full_name.index
    )


def nhs_digits(series: pd.Series) -> pd.Series:
    """Digits only ("943 476 5919" -> "9434765919"); missing when fewer than six digits remain or the value is a
    placeholder (one digit repeated, "1234567890"), which would otherwise look like a shared identifier."""
    digits = series.astype("string").str.replace(r"[^0-9]", "", regex=True)
    placeholder = digits.str.fullmatch(r"(\d)\1*").fillna(False) | digits.isin(["1234567890", "0123456789"])
    return digits.where((digits.str.len() >= 6) & ~placeholder.astype(bool)).astype("object")


def nhs_number_valid(digits: pd.Series) -> pd.Series:
    """Modulus-11 check on ten digits, refusing ten identical digits (placeholders agency systems use)."""
    values = digits.astype("string").fillna("")
    ok = values.str.len().eq(10).to_numpy()
    out = np.zeros(len(values), dtype=bool)
    if ok.any():
        arr = np.frombuffer("".join(values[ok].tolist()).encode("ascii"), dtype=np.uint8).reshape(-1, 10) - 48
        weights = np.arange(10, 1, -1)
        total = (arr[:, :9] * weights).sum(axis=1)
        check = 11 - total % 11
        check = np.where(check == 11, 0, check)
        valid = (check != 10) & (check == arr[:, 9])
        valid &= ~(arr == arr[:, :1]).all(axis=1)
        out[ok] = valid
    return pd.Series(out, index=digits.index)


def parse_dates(series: pd.Series) -> pd.DataFrame:
    """Read messy dates of birth into ``dob`` (ISO, only when complete) and ``dob_year/month/day`` (partial kept).

    Understands ISO (with or without a time), UK day-first ``03/04/1980``, ``19800403``, ``3 Apr 1980``, year-month
    and year-only partial dates. A month above 12 with a day of 12 or less is read as US month-first. Impossible
    days keep their year and month; placeholder dates ("1900-01-01") and years outside 1880..today are missing.
    """
    text = series.astype("string").str.strip().str.upper()
    n = len(text)
    year = pd.Series(np.nan, index=series.index)
    month = pd.Series(np.nan, index=series.index)
    day = pd.Series(np.nan, index=series.index)

    def fill(pattern: str, order: tuple[str, ...]) -> None:
        nonlocal year, month, day
        todo = year.isna() & text.notna()
        if not todo.any():
            return
        extracted = text[todo].str.extract(pattern)
        got = extracted[0].notna()
        if not got.any():
            return
        idx = extracted.index[got]
        parts = {name: extracted.loc[idx, i] for i, name in enumerate(order) if i < extracted.shape[1]}
        year.loc[idx] = pd.to_numeric(parts["y"], errors="coerce")
        if "m" in parts:
            month_raw = parts["m"]
            month_num = pd.to_numeric(month_raw, errors="coerce")
            named = month_num.isna() & month_raw.notna()
            if named.any():
                month_num.loc[named] = month_raw[named].str[:3].map(_MONTHS)
            month.loc[idx] = month_num
        if "d" in parts:
            day.loc[idx] = pd.to_numeric(parts["d"], errors="coerce")

    fill(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ].*)?$", ("y", "m", "d"))
    fill(r"^(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{4})(?:[T ].*)?$", ("d", "m", "y"))
    fill(r"^(\d{4})(\d{2})(\d{2})$", ("y", "m", "d"))
    fill(r"^(\d{1,2})[-/ ]?([A-Z]{3,9})[-/ ]?(\d{4})$", ("d", "m", "y"))
    fill(r"^([A-Z]{3,9})[-/ ](\d{4})$", ("m", "y"))
    fill(r"^(\d{4})[-/](\d{1,2})$", ("y", "m"))
    fill(r"^(\d{1,2})[-/](\d{4})$", ("m", "y"))
    fill(r"^(\d{4})$", ("y",))
    # two-digit years: 03/04/80 -> 1980 (a date of birth is never in the future)
    todo = year.isna() & text.notna()
    if todo.any():
        extracted = text[todo].str.extract(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2})$")
        got = extracted[0].notna()
        if got.any():
            idx = extracted.index[got]
            yy = pd.to_numeric(extracted.loc[idx, 2], errors="coerce")
            this_yy = date.today().year % 100
            year.loc[idx] = np.where(yy > this_yy, 1900 + yy, 2000 + yy)
            day.loc[idx] = pd.to_numeric(extracted.loc[idx, 0], errors="coerce")
            month.loc[idx] = pd.to_numeric(extracted.loc[idx, 1], errors="coerce")

    # month-first (US) when the month cannot be a month but the day can
    us = (month > 12) & (day <= 12)
    month, day = month.where(~us, day), day.where(~us, month)
    this_year = date.today().year
    bad_year = (year < 1880) | (year > this_year)
    year = year.mask(bad_year)
    month = month.mask(bad_year | (month < 1) | (month > 12))
    day = day.mask(month.isna() | (day < 1) | (day > 31))
    # impossible day for the month (31 June, 30 February): keep year and month only
    full = year.notna() & month.notna() & day.notna()
    iso = pd.Series(pd.NA, index=series.index, dtype="string")
    if full.any():
        y = year[full].astype(int).astype(str).str.zfill(4)
        m = month[full].astype(int).astype(str).str.zfill(2)
        d = day[full].astype(int).astype(str).str.zfill(2)
        candidate = y + "-" + m + "-" + d
        parsed = pd.to_datetime(candidate, format="%Y-%m-%d", errors="coerce")
        good = parsed.notna()
        iso.loc[candidate.index[good]] = candidate[good]
        day.loc[candidate.index[~good]] = np.nan
    placeholder = iso.isin(list(_PLACEHOLDER_DATES)).fillna(False).astype(bool)
    iso = iso.mask(placeholder)
    year = year.mask(placeholder)
    month = month.mask(placeholder)
    day = day.mask(placeholder)
    del n
    return pd.DataFrame(
        {
            "dob": iso.astype("object").where(iso.notna(), None),
            "dob_year": year.astype("Int64"),
            "dob_month": month.astype("Int64"),
            "dob_day": day.astype("Int64"),
        },
        index=series.index,
    )


def clean_sex(series: pd.Series) -> pd.Series:
    """``M``, ``F`` or missing: agencies write male/m/1, female/f/2, and codes for unknown."""
    text = series.astype("string").str.strip().str.upper()
    mapping = {"M": "M", "MALE": "M", "1": "M", "MAN": "M", "F": "F", "FEMALE": "F", "2": "F", "WOMAN": "F"}
    return text.map(mapping).astype("object")


def clean_postcode(series: pd.Series) -> pd.Series:
    """Upper case, spaces and punctuation removed: "sw1a 1aa" -> "SW1A1AA". Any country's shape is accepted."""
    text = series.astype("string").str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
    return text.where(text.str.len() >= 2).astype("object")


def clean_address(series: pd.Series) -> pd.Series:
    """Upper case, punctuation removed, common street words abbreviated ("Road" -> "RD")."""

    def clean(value: str) -> str | None:
        text = _SPACES.sub(" ", _NON_ALNUM_SPACE.sub(" ", _fold(value))).strip()
        if not text:
            return None
        return " ".join(_ADDRESS_WORDS.get(t, t) for t in text.split(" "))

    return _map_unique(series, clean)


def clean_phone(series: pd.Series) -> pd.Series:
    """The national number's last ten digits: "+44 (0)7700 900123", "07700900123" -> "7700900123"."""
    digits = series.astype("string").str.replace(r"[^0-9]", "", regex=True)
    national = digits.str[-10:]
    return national.where(digits.str.len() >= 9).astype("object")


def clean_email(series: pd.Series) -> pd.Series:
    """Lower case, trimmed; only values with one @ and a dot after it."""
    text = series.astype("string").str.strip().str.lower()
    ok = text.str.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+").fillna(False).astype(bool)
    return text.where(ok).astype("object")


def clean_local_id(series: pd.Series) -> pd.Series:
    """A trust patient number as the trust's system writes it: upper case, spaces and punctuation removed
    ("mh 001-2345" -> "MH0012345"). Values without a digit, or shorter than three characters, are not numbers."""
    text = series.astype("string").str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
    ok = (text.str.len() >= 3) & text.str.contains(r"\d", regex=True)
    return text.where(ok.fillna(False).astype(bool)).astype("object")


def soundex(value: str | None) -> str | None:
    """American Soundex (letter + three digits): a phonetic key robust to most one-letter typos after the first."""
    if not value:
        return None
    codes = {
        **dict.fromkeys("BFPV", "1"),
        **dict.fromkeys("CGJKQSXZ", "2"),
        **dict.fromkeys("DT", "3"),
        "L": "4",
        **dict.fromkeys("MN", "5"),
        "R": "6",
    }
    letters = [c for c in value if "A" <= c <= "Z"]
    if not letters:
        return None
    first = letters[0]
    out = [first]
    last = codes.get(first, "")
    for ch in letters[1:]:
        code = codes.get(ch, "")
        if code and code != last:
            out.append(code)
        if ch not in "HW":
            last = code
        if len(out) == 4:
            break
    return "".join(out).ljust(4, "0")


def normalise_records(records: pd.DataFrame) -> pd.DataFrame:
    """Canonical identity columns (raw) -> the cleaned columns the model compares and the blocking keys.

    Returns one row per input row, same index, with: ``nhs`` (digits), ``nhs_valid``, ``given``, ``given_canon``,
    ``family``, ``dob``, ``dob_year/month/day``, ``sex``, ``postcode``, ``pc_sector``, ``pc_district``, ``address``,
    ``phone``, ``email`` and ``local_id`` (the trust patient number; missing when the input has no such column).
    """
    out = pd.DataFrame(index=records.index)
    out["nhs"] = nhs_digits(records["nhs_number"])
    out["nhs_valid"] = nhs_number_valid(out["nhs"])
    given = clean_given_name(records["given_name"])
    family = clean_family_name(records["family_name"])
    out["given"] = given
    out["given_canon"] = canonical_given_name(given)
    out["family"] = family
    out["family_canon"] = canonical_given_name(family)  # a given name typed in the family field
    out["given_alts"] = given.map(lambda v: NICKNAME_ALTERNATIVES.get(v, f"|{v}|") if isinstance(v, str) else None)
    dates = parse_dates(records["date_of_birth"])
    out = out.join(dates)
    out["sex"] = clean_sex(records["sex"])
    postcode = clean_postcode(records["postcode"])
    out["postcode"] = postcode
    pc = postcode.astype("string")
    out["pc_sector"] = pc.str[:-2].where(pc.str.len() >= 5).astype("object")
    out["pc_district"] = pc.str[:-3].where(pc.str.len() >= 5, pc.str[:2]).astype("object")
    address = clean_address(records["address"])
    out["address"] = address
    for col, clean in (("phone", clean_phone), ("email", clean_email)):
        out[col] = clean(records[col]) if col in records.columns else None
    out["local_id"] = clean_local_id(records["local_patient_id"]) if "local_patient_id" in records.columns else None
    return out
