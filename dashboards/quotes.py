"""The quote rule on the Voices page: the project's own rule, applied again to what the app shows.

Quotes (``dashboards.dash_feedback_quotes``) are chosen by the rule in docs/disclosure.md ("Quotes: the one
exception"), written once for dbt and once in Python (``pipelines.disclosure.quotes``), and publishing re-checks
every quote against the build before the file is swapped in. The app cannot see the build (it reads only the
published ``dashboards`` schema), so it re-applies the parts of the rule a published row carries, and shows a quote
only if:

1. its theme is not ``no_theme_coded`` and its ``responses`` are published (not suppressed) and above the threshold;
2. the sentence passes ``quote_problems``: one whole sentence, 3 words to 150 characters, no placeholder or symbol
   (``[PERSON_1]``, any bracket), no digit, no capitalised word but the first (the pronoun I excepted), none of the
   denied words (people close to the writer, life events, places a crisis is recognised by, numbers in words).

``tests/dashboards/test_dash_quotes.py`` checks that a quote breaking any part is not shown.
"""

from __future__ import annotations

import pandas as pd

from pipelines.disclosure.quotes import NO_THEME, quote_problems


def responses_survive(responses: object, suppression: object, threshold: int) -> bool:
    if suppression is not None and not (isinstance(suppression, float) and pd.isna(suppression)):
        return False
    if responses is None or pd.isna(responses):
        return False
    return int(responses) > threshold


def publishable(theme: object, quote: object, responses: object, suppression: object, threshold: int) -> bool:
    """Whether a published quote row passes every part of the rule the app can check."""
    if not isinstance(quote, str) or not quote.strip() or theme == NO_THEME:
        return False
    return responses_survive(responses, suppression, threshold) and not quote_problems(quote)


def select(frame: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """The rows of ``dash_feedback_quotes`` that pass the rule."""
    keep = [
        publishable(t, q, r, s, threshold)
        for t, q, r, s in zip(
            frame["theme"], frame["quote"], frame["responses"], frame["responses_suppression"], strict=True
        )
    ]
    return frame.loc[pd.Series(keep, index=frame.index, dtype=bool)]
