"""Identifier normalisation before keying, so that one person's identifiers give one token.

"943 476 5919" and "9434765919" are the same NHS number; "O'Brien", "OBRIEN" and "Ó Brien" are the same surname;
"sw1a1aa" and "SW1A 1AA" the same postcode. Values that fail their own structure (an NHS number whose check digit is
wrong, a postcode of the wrong shape) normalise to ``None`` rather than to a token of garbage.
"""

from __future__ import annotations

import re
import unicodedata

_NHS_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)
_NHS_SEPARATORS = re.compile(r"[\s\-]+")


def nhs_check_digit(first_nine: str) -> int | None:
    """Modulus-11 check digit of the first nine digits; ``None`` when no valid check digit exists (remainder 10)."""
    total = sum(int(d) * w for d, w in zip(first_nine, _NHS_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def nhs_number_is_valid(value: str) -> bool:
    """True for ten digits (spaces and dashes allowed) whose last digit is the modulus-11 check digit.

    Ten identical digits ("0000000000", "1111111111") pass the arithmetic but are never issued; they are placeholder
    values in agency systems, so they are refused here to keep leak scans and linkage free of them.
    """
    if not isinstance(value, str):
        return False
    digits = _NHS_SEPARATORS.sub("", value)
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        return False
    if len(set(digits)) == 1:
        return False
    return nhs_check_digit(digits[:9]) == int(digits[9])


def normalise_nhs_number(value: str | None) -> str | None:
    """Ten bare digits, or ``None`` when the value is missing, the wrong length or fails its check digit."""
    if value is None or not isinstance(value, str):
        return None
    digits = _NHS_SEPARATORS.sub("", value.strip())
    return digits if nhs_number_is_valid(digits) else None


# Letters that Unicode does not decompose into a base letter plus an accent.
_NAME_SPECIAL = str.maketrans(
    {
        "ø": "o",
        "Ø": "o",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "ð": "d",
        "þ": "th",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "\u0131": "i",
    }
)
_NAME_JOINERS = re.compile(r"[\u2018\u2019\u02bc`'\u00b4]")  # apostrophes inside names: O'Brien -> obrien
_NAME_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def fold_name(value: str | None) -> str | None:
    """Case- and accent-folded name with punctuation normalised, so the spellings of one name key alike.

    Apostrophes join ("O'Brien", "ÓBRIEN", "O\u2019Brien" -> "obrien"); hyphens, dots and runs of whitespace become one
    space ("Smith-Jones", "SMITH  JONES" -> "smith jones"), because both spellings occur for one double-barrelled
    surname and linkage compares the parts. ``None`` for a missing or empty name.
    """
    if value is None or not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFKD", value.translate(_NAME_SPECIAL))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold().translate(_NAME_SPECIAL)
    text = _NAME_JOINERS.sub("", text)
    text = _NAME_NON_ALNUM.sub(" ", text).strip()
    return text or None


# UK postcode shape (BS 7666): outward A9, A99, A9A, AA9, AA99, AA9A; inward 9AA. Q, V, X never start a postcode;
# I, J, Z are never second; the inward letters never use C, I, K, M, O, V. GIR 0AA is the one historic exception.
POSTCODE_OUTWARD = r"(?:[A-PR-UWYZ][0-9][0-9A-HJKPSTUW]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9ABEHMNPRVWXY]?)"
POSTCODE_INWARD = r"[0-9][ABD-HJLNP-UW-Z]{2}"
_POSTCODE_COMPACT = re.compile(rf"^({POSTCODE_OUTWARD})({POSTCODE_INWARD})$")


def normalise_postcode(value: object) -> str | None:
    """Upper case with one space before the inward code ("sw1a1aa" -> "SW1A 1AA"); ``None`` if not a UK shape."""
    if value is None or not isinstance(value, str):
        return None
    compact = re.sub(r"\s+", "", value).upper()
    if compact == "GIR0AA":
        return "GIR 0AA"
    match = _POSTCODE_COMPACT.match(compact)
    if match is None:
        return None
    return f"{match.group(1)} {match.group(2)}"
