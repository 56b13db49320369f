"""The quote rule in Python: publishing re-checks every published quote with it before the file is swapped in.

Quotes (``dashboards.dash_feedback_quotes``) are the one piece of free text that leaves the restricted schema
(docs/disclosure.md, "Quotes: the one exception"). dbt chooses them by the rule in
``dbt_project/macros/feedback_quotes.sql`` and tests the built table against it; this module states the same rule
independently, so that a mistake in the SQL (or a model that skipped it) cannot publish a quote. The constants and
the denied words must equal the macro's (``tests/unit/disclosure/test_quotes.py`` compares them).

A problem names the quote by its ``quote_id`` and the part of the rule it breaks, never the text.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

import duckdb

QUOTES_TABLE = "dash_feedback_quotes"
DASHBOARDS_SCHEMA = "dashboards"
NO_THEME = "no_theme_coded"
MAX_CHARACTERS = 150
MIN_WORDS = 3
QUOTES_PER_THEME = 3
# what a quote row may carry: no key, date or rating beside it
QUOTE_COLUMNS = frozenset({"theme", "theme_description", "quote_id", "quote", "responses", "responses_suppression"})
DENIED_WORDS = frozenset(
    {
        "accident", "aunt", "baby", "beach", "born", "boyfriend", "bridge", "brother", "brothers", "canal", "child",
        "children", "cliff", "college", "court", "cousin", "crash", "dad", "daughter", "daughters", "died",
        "dozen", "eight", "eighteen", "eighty", "eleven", "father", "fifteen", "fifty", "five", "forty", "four",
        "fourteen", "friend", "friends", "funeral", "gran", "grandad", "grandfather", "grandma", "grandmother",
        "girlfriend", "husband", "hundred", "jail", "job", "kids", "motorway", "mother", "mum", "nan", "neighbour",
        "neighbours", "nephew", "niece", "nine", "nineteen", "ninety", "partner", "pregnant", "prison", "railway",
        "river", "school", "seven", "seventeen", "seventy", "sister", "sisters", "six", "sixteen", "sixty", "son",
        "sons", "ten", "thirteen", "thirty", "thousand", "three", "twelve", "twenty", "two", "uncle", "wife",
        "work", "worked", "works",
    }
)  # fmt: skip

_BREAK = "\x1e"
_WHOLE = re.compile(r"[A-Z][^.!?]*[.!?]")
_SYMBOL = re.compile(r"[\[\]{}<>@#_|\\*~^=+$%&]")
_PRONOUN_I = re.compile(r"[(\"'‘“]*I(['’](m|ve|d|ll))?[,;:.!?)\"'’”]*")


class QuoteRuleBroken(RuntimeError):
    """A published quote breaks the quote rule: publishing stops."""


def split_sentences(text: str) -> list[str]:
    """A comment's sentences, as ``quote_sentences`` splits them: after . ! or ? and white space, or at a line break;
    each trimmed of spaces and tabs."""
    text = text.replace("\r", "\n")
    text = re.sub(r"([.!?])[ \t\n]+", lambda m: m.group(1) + _BREAK, text)
    text = re.sub(r"\n+", _BREAK, text)
    return [part.strip(" \t") for part in text.split(_BREAK)]


def quote_problems(sentence: str) -> list[str]:
    """The parts of the rule a sentence breaks (empty when it may be published), as ``quote_is_publishable``."""
    problems = []
    if not _WHOLE.fullmatch(sentence):
        problems.append("not one whole sentence")
    if len(sentence) > MAX_CHARACTERS:
        problems.append("longer than the length bound")
    words = re.split(r"[ \t]+", sentence)
    if len(words) < MIN_WORDS:
        problems.append("fewer words than the rule asks")
    if _SYMBOL.search(sentence):
        problems.append("a placeholder or symbol")
    if any(unicodedata.category(ch) == "Nd" for ch in sentence):
        problems.append("a digit")
    if any(w.lower() != w and not _PRONOUN_I.fullmatch(w) for w in words[1:]):
        problems.append("a capitalised word after the first")
    if DENIED_WORDS & set(re.split(r"[^a-z]+", sentence.lower())):
        problems.append("a denied word")
    return problems


@dataclass(frozen=True)
class QuoteCheck:
    quotes: int
    problems: tuple[str, ...]


def check_quotes(
    con: duckdb.DuckDBPyConnection, published: str, build: str, threshold: int, schema: str = DASHBOARDS_SCHEMA
) -> QuoteCheck:
    """Every quote in catalog ``published`` against the rule, with the build (catalog ``build``) as the evidence:
    the theme is coded and has more responses than ``threshold``, the quote is a sentence of a comment of a
    response coded to the theme, at most ``QUOTES_PER_THEME`` a theme, no column beyond the quote's own."""
    found = con.execute(
        "select count(*) from duckdb_tables() where database_name = ? and schema_name = ? and table_name = ?",
        [published, schema, QUOTES_TABLE],
    ).fetchall()[0][0]
    if not found:
        return QuoteCheck(0, ())
    table = f'{published}."{schema}"."{QUOTES_TABLE}"'
    problems: list[str] = []
    columns = {r[0] for r in con.execute(f"select * from {table} limit 0").description}
    extra = sorted(columns - QUOTE_COLUMNS)
    if extra:
        problems.append(f"{QUOTES_TABLE}: columns beside the quotes the rule does not allow: {', '.join(extra)}")
    rows = con.execute(
        f"select theme, quote_id, quote, responses, responses_suppression from {table} order by quote_id"
    ).fetchall()
    if not rows:
        return QuoteCheck(0, tuple(problems))
    coded = con.execute(
        f"select distinct themes.theme, themes.feedback_key, narratives.feedback_comment "
        f"from {build}.marts.fct_feedback_themes as themes "
        f"left join {build}.restricted.stg_feedback__narratives as narratives using (feedback_key)"
    ).fetchall()
    responses: Counter[str] = Counter()
    sentences: dict[str, set[str]] = {}
    for theme, _, comment in coded:
        responses[theme] += 1
        if comment is not None:
            sentences.setdefault(theme, set()).update(split_sentences(comment))
    per_theme: Counter[str] = Counter()
    for theme, quote_id, quote, published_responses, reason in rows:
        per_theme[theme] += 1
        where = f"{QUOTES_TABLE} {quote_id}"
        if quote is None:
            problems.append(f"{where}: no quote")
            continue
        problems.extend(f"{where}: {problem}" for problem in quote_problems(quote))
        if theme == NO_THEME or responses[theme] <= threshold:
            problems.append(f"{where}: the theme is not coded or has too few responses")
        if quote not in sentences.get(theme, set()):
            problems.append(f"{where}: not a sentence of a response coded to the theme")
        if published_responses is None and reason != "suppressed_complementary":
            problems.append(f"{where}: the theme's responses are not shown")
    for theme, n in sorted(per_theme.items()):
        if n > QUOTES_PER_THEME:
            problems.append(f"{QUOTES_TABLE}: more quotes for theme {theme} than the rule allows")
    return QuoteCheck(len(rows), tuple(problems))


def require_quotes_follow_the_rule(
    con: duckdb.DuckDBPyConnection, published: str, build: str, threshold: int, schema: str = DASHBOARDS_SCHEMA
) -> int:
    """Raise ``QuoteRuleBroken`` unless every published quote follows the rule; the number of quotes checked."""
    result = check_quotes(con, published, build, threshold, schema)
    if result.problems:
        shown = "; ".join(result.problems[:5])
        more = " (and more)" if len(result.problems) > 5 else ""
        raise QuoteRuleBroken(f"quotes that break the quote rule, refusing to publish: {shown}{more}")
    return result.quotes
