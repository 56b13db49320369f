"""The rule a quote must pass to be shown on the Voices page (checked by tests/dashboards/test_dash_quotes.py).

``dash_feedback_quotes`` is already chosen by the pipeline; the app applies the same rule again, so a quote that
should not have reached the table is still not shown. A quote is shown only if:

1. **its theme has enough responses to pass disclosure control**: the theme's ``responses`` count is published (not
   suppressed) and above the threshold;
2. **no placeholder is left in it**: de-identification replaces names, numbers and places with typed placeholders
   such as ``[PERSON_1]`` or ``<LOCATION>``, and a quote with any square, angle or curly bracket is dropped, since it
   once held something identifying;
3. **no capitalised word but a sentence's first**: a capital letter inside a sentence is usually a name, a place, a
   ward or a service that could point at someone (``Ward 5``, ``Dr Patel``, ``A&E at St Mary's``), so the quote is
   dropped. The one exception is the pronoun ``I`` (and ``I'm``, ``I've``, ``I'd``, ``I'll``), which English
   capitalises everywhere; acronyms count as capitalised words;
4. **no digits**: a number can be a date, a bed, an age or a phone number.
"""

from __future__ import annotations

import re

import pandas as pd

_BRACKETS = re.compile(r"[\[\]<>{}]")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+")
_WORD = re.compile(r"[^\W\d_][\w'’&-]*")
_PRONOUN_I = {"I", "I'm", "I've", "I'd", "I'll", "I’m", "I’ve", "I’d", "I’ll"}


def has_placeholder(quote: str) -> bool:
    return bool(_BRACKETS.search(quote))


def capitalised_inside_sentence(quote: str) -> list[str]:
    """Words after a sentence's first that start with a capital (the pronoun I excepted)."""
    found: list[str] = []
    for sentence in _SENTENCE_END.split(quote.strip()):
        words = _WORD.findall(sentence)
        found.extend(w for w in words[1:] if w[0].isupper() and w not in _PRONOUN_I)
    return found


def responses_survive(responses: object, suppression: object, threshold: int) -> bool:
    if suppression is not None and not (isinstance(suppression, float) and pd.isna(suppression)):
        return False
    if responses is None or pd.isna(responses):
        return False
    return int(responses) > threshold


def publishable(quote: object, responses: object, suppression: object, threshold: int) -> bool:
    """Whether a quote passes every part of the rule above."""
    if not isinstance(quote, str) or not quote.strip():
        return False
    return (
        responses_survive(responses, suppression, threshold)
        and not has_placeholder(quote)
        and not capitalised_inside_sentence(quote)
        and not re.search(r"\d", quote)
    )


def select(frame: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """The rows of ``dash_feedback_quotes`` that pass the rule."""
    keep = [
        publishable(q, r, s, threshold)
        for q, r, s in zip(frame["quote"], frame["responses"], frame["responses_suppression"], strict=True)
    ]
    return frame.loc[pd.Series(keep, index=frame.index, dtype=bool)]
