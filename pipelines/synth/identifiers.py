"""Identifiers as people and agencies write them: NHS numbers with their check digit, postcodes,
phones, emails, NI numbers, dates of birth, and the mistakes agencies make copying them.
"""

from __future__ import annotations

import random
from datetime import date

import numpy as np

from pipelines.synth.names import NICKNAMES

NHS_WEIGHTS = np.arange(10, 1, -1)  # weights 10..2 for the first nine digits
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # letters used in the inward code (no C I K M O V)
_NI_PREFIX_1 = "ABCEGHJKLMNOPRSTWXYZ"
_NI_PREFIX_2 = "ABCEGHJKLMNPRSTWXYZ"


def nhs_check_digit(first_nine: str) -> int | None:
    """Modulus-11 check digit of an NHS number's first nine digits; None when no valid number exists."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def is_valid_nhs_number(value: str) -> bool:
    """Ten digits (spaces and dashes ignored) whose last is the modulus-11 check digit of the first nine."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) != 10:
        return False
    return nhs_check_digit(digits[:9]) == int(digits[9])


def nhs_numbers_for(indices: np.ndarray) -> np.ndarray:
    """Unique, valid NHS numbers for global person indices (vectorised, a bijection on the index).

    Index i maps to the block (i * K mod 1e8) * 3 + 600000000; of three consecutive nine-digit stems at
    most one has the impossible check digit 10, so the first valid stem of the block is used.
    """
    block = (indices.astype(np.int64) * 2654435761) % 100_000_000
    base = 600_000_000 + block * 3
    out = np.empty(len(indices), dtype=np.int64)
    chosen = np.zeros(len(indices), dtype=bool)
    for offset in range(3):
        stem = base + offset
        digits = (stem[:, None] // (10 ** np.arange(8, -1, -1))) % 10
        total = (digits * NHS_WEIGHTS).sum(axis=1)
        check = 11 - total % 11
        check = np.where(check == 11, 0, check)
        ok = (check != 10) & ~chosen
        out[ok] = stem[ok] * 10 + check[ok]
        chosen |= ok
    if not chosen.all():  # pragma: no cover - impossible by the argument above
        raise RuntimeError("could not allocate a valid NHS number")
    return out


def mistype_nhs_number(value: str, rng: random.Random) -> str:
    """Change one digit: a single substitution always breaks the modulus-11 check."""
    pos = rng.randrange(10)
    digit = int(value[pos])
    new = (digit + rng.randrange(1, 10)) % 10
    return value[:pos] + str(new) + value[pos + 1 :]


def format_nhs_number(value: str, rng: random.Random) -> str:
    """Ways NHS numbers are written in structured fields and free text."""
    style = rng.random()
    if style < 0.45:
        return f"{value[:3]} {value[3:6]} {value[6:]}"
    if style < 0.8:
        return value
    if style < 0.9:
        return f"{value[:3]}-{value[3:6]}-{value[6:]}"
    return f"{value[:3]} {value[3:]}"


def postcode_for(lsoa_index: int, k: int) -> str:
    """Deterministic synthetic postcode (area HF) of the k-th postcode unit in an LSOA."""
    district = 1 + lsoa_index // 16
    sector = (lsoa_index + k) % 10
    a = _INWARD_LETTERS[(lsoa_index * 7 + k * 3) % len(_INWARD_LETTERS)]
    b = _INWARD_LETTERS[(lsoa_index * 3 + k * 11) % len(_INWARD_LETTERS)]
    return f"HF{district} {sector}{a}{b}"


def format_postcode(value: str, rng: random.Random, messy: float = 0.3) -> str:
    """Postcodes in any case and spacing, as people and systems type them."""
    if rng.random() >= messy:
        return value
    outward, inward = value.split(" ")
    style = rng.randrange(5)
    if style == 0:
        return (outward + inward).lower()
    if style == 1:
        return outward + inward
    if style == 2:
        return f"{outward}  {inward}"
    if style == 3:
        return value.lower()
    return outward.capitalize() + " " + inward.lower()


def phone_number(rng: random.Random) -> str:
    """A canonical UK number in the Ofcom drama-style ranges (07700 9xxxxx mobiles, 01632 9xxxxx landlines)."""
    if rng.random() < 0.7:
        return f"07700 9{rng.randrange(100000):05d}"
    return f"01632 9{rng.randrange(100000):05d}"


def format_phone(value: str, rng: random.Random) -> str:
    """Variants: +44, brackets, spaces, none."""
    digits = value.replace(" ", "")
    national = digits[1:]
    style = rng.randrange(7)
    if style == 0:
        return value
    if style == 1:
        return digits
    if style == 2:
        return f"+44 {national[:4]} {national[4:]}"
    if style == 3:
        return f"+44{national}"
    if style == 4:
        return f"({digits[:5]}) {digits[5:]}"
    if style == 5:
        return f"{digits[:5]} {digits[5:8]} {digits[8:]}"
    return f"+44 (0){national[:4]} {national[4:]}"


def ni_number(rng: random.Random) -> str:
    """A National Insurance number in the valid shape (two prefix letters, six digits, A-D suffix)."""
    return rng.choice(_NI_PREFIX_1) + rng.choice(_NI_PREFIX_2) + f"{rng.randrange(1000000):06d}" + rng.choice("ABCD")


def format_ni_number(value: str, rng: random.Random) -> str:
    """NI numbers with and without the usual spacing."""
    if rng.random() < 0.5:
        return value
    return f"{value[:2]} {value[2:4]} {value[4:6]} {value[6:8]} {value[8]}"


def email_for(given: str, family: str, n: int, domain: str) -> str:
    """An email address built from the name, in one of four common shapes, on a reserved example domain."""
    clean_given = "".join(ch for ch in given.lower() if ch.isascii() and ch.isalpha())
    clean_family = "".join(ch for ch in family.lower() if ch.isascii() and ch.isalpha())
    style = n % 4
    if style == 0:
        local = f"{clean_given}.{clean_family}"
    elif style == 1:
        local = f"{clean_given[:1]}{clean_family}{n % 100}"
    elif style == 2:
        local = f"{clean_given}{clean_family[:1]}{1960 + n % 50}"
    else:
        local = f"{clean_family}.{clean_given}{n % 10}"
    return f"{local}@{domain}"


_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def format_dob_free_text(value: date, rng: random.Random) -> str:
    """Dates of birth as written in narratives."""
    style = rng.randrange(7)
    if style == 0:
        return value.strftime("%d/%m/%Y")
    if style == 1:
        return value.strftime("%d.%m.%y")
    if style == 2:
        return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"
    if style == 3:
        return value.isoformat()
    if style == 4:
        return f"{value.day}/{value.month}/{value.strftime('%y')}"
    if style == 5:
        suffix = "th" if 11 <= value.day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(value.day % 10, "th")
        return f"{value.day}{suffix} {_MONTHS[value.month - 1][:3]} {value.year}"
    return value.strftime("%d-%b-%Y")


def typo(value: str, rng: random.Random) -> str:
    """One keying error: substitute, drop, double or transpose a character."""
    if len(value) < 3:
        return value + value[-1:]
    pos = rng.randrange(1, len(value) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        letter = rng.choice("aeiourstnlm")
        new = value[:pos] + (letter.upper() if value[pos].isupper() else letter) + value[pos + 1 :]
        return new if new != value else value[:pos] + value[pos + 1 :]
    if kind == 1:
        return value[:pos] + value[pos + 1 :]
    if kind == 2:
        return value[:pos] + value[pos] + value[pos:]
    swapped = value[: pos - 1] + value[pos] + value[pos - 1] + value[pos + 1 :]
    return swapped if swapped != value else value[:pos] + value[pos + 1 :]


def nickname(given: str, rng: random.Random) -> str | None:
    """A common nickname for the given name (Bob for Robert), or None when it has none."""
    options = NICKNAMES.get(given)
    return rng.choice(options) if options else None


def swap_day_month(value: date) -> date | None:
    """The date with day and month transposed, or None when that is not a date or changes nothing."""
    if value.day > 12 or value.day == value.month:
        return None
    try:
        return value.replace(day=value.month, month=value.day)
    except ValueError:  # pragma: no cover - day <= 12 always fits any month
        return None
