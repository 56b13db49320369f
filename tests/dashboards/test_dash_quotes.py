"""The Voices page's quote rule (dashboards/quotes.py): a theme with enough responses to publish, no placeholder,
no digit, no capitalised word but a sentence's first (and the pronoun I)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboards import quotes
from tests.dashboards.conftest import BAD_QUOTES, GOOD_QUOTES, THRESHOLD
from tests.dashboards.dash_helpers import page_html, run_page


@pytest.mark.parametrize("quote", [*GOOD_QUOTES, "Kind. Quick. I'd go back.", "“They came.” Then they stayed."])
def test_shown(quote: str) -> None:
    assert quotes.publishable(quote, 60, None, THRESHOLD)


@pytest.mark.parametrize(
    "quote",
    [
        *(BAD_QUOTES[k] for k in ("placeholder", "capital", "digit")),
        "Seen by <PERSON> at night.",
        "They rang {name} for me.",
        "The NHS team was kind.",
        "it was fine at A&E.",
        "",
    ],
)
def test_not_shown(quote: str) -> None:
    assert not quotes.publishable(quote, 60, None, THRESHOLD)


@pytest.mark.parametrize(
    ("responses", "reason"), [(None, "suppressed_1_to_threshold"), (THRESHOLD, None), (None, None), (60, "x")]
)
def test_theme_must_survive_disclosure_control(responses: int | None, reason: str | None) -> None:
    assert not quotes.publishable(GOOD_QUOTES[0], responses, reason, THRESHOLD)


def test_voices_page_shows_only_quotes_that_pass(use_warehouse: Path) -> None:
    html = page_html(run_page("voices"))
    for quote in GOOD_QUOTES:
        assert quote.replace("'", "&#x27;") in html
    for quote in BAD_QUOTES.values():
        assert quote.replace("'", "&#x27;") not in html and quote not in html
