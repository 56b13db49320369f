"""The Voices page shows a quote only if it passes the project's quote rule (pipelines.disclosure.quotes) and its
theme's responses survive disclosure control."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboards import quotes
from tests.dashboards.conftest import BAD_QUOTES, GOOD_QUOTES, THRESHOLD
from tests.dashboards.dash_helpers import page_html, run_page


@pytest.mark.parametrize("quote", [*GOOD_QUOTES, "I'd go back there again."])
def test_shown(quote: str) -> None:
    assert quotes.publishable("waiting", quote, 60, None, THRESHOLD)


@pytest.mark.parametrize(
    "quote",
    [
        *(BAD_QUOTES[k] for k in ("placeholder", "capital", "digit", "denied_word")),
        "Seen by <PERSON> at night.",
        "They rang {name} for me.",
        "The NHS team was kind.",
        "It was fine at A&E.",
        "Kind. Quick. I'd go back.",
        "",
    ],
)
def test_not_shown(quote: str) -> None:
    assert not quotes.publishable("waiting", quote, 60, None, THRESHOLD)


@pytest.mark.parametrize(
    ("responses", "reason"), [(None, "suppressed_1_to_threshold"), (THRESHOLD, None), (None, None), (60, "x")]
)
def test_theme_must_survive_disclosure_control(responses: int | None, reason: str | None) -> None:
    assert not quotes.publishable("waiting", GOOD_QUOTES[0], responses, reason, THRESHOLD)


def test_no_theme_coded_is_never_quoted() -> None:
    assert not quotes.publishable("no_theme_coded", GOOD_QUOTES[0], 60, None, THRESHOLD)


def test_voices_page_shows_only_quotes_that_pass(use_warehouse: Path) -> None:
    html = page_html(run_page("voices"))
    for quote in GOOD_QUOTES:
        assert quote.replace("'", "&#x27;") in html
    for quote in BAD_QUOTES.values():
        assert quote.replace("'", "&#x27;") not in html and quote not in html
