"""The quote rule in Python (pipelines/disclosure/quotes.py) says what the dbt macros say, part by part."""

from __future__ import annotations

import re

import duckdb
import pytest

from pipelines.disclosure import quotes
from pipelines.disclosure.quotes import quote_problems, split_sentences
from pipelines.settings import REPO_ROOT

MACROS = REPO_ROOT / "dbt_project" / "macros" / "feedback_quotes.sql"

# sentences at the edges of every part of the rule; the SQL and the Python must agree on each
SENTENCES = [
    "Staff were really kind.",
    "I think they were so kind, I'm grateful.",
    "I’ve never felt so listened to, and I’d come back.",
    "Nobody asked what I wanted (I wasn't asked).",
    "The nurse Sarah was lovely.",
    "The nurse Élodie was lovely.",
    "Waited for 23 hours.",
    "Waited for ٣ hours.",
    "They were kind to [PERSON_1] and me.",
    "Email me at someone@example.org please.",
    "Waited three hours in the corridor.",
    "My mum was treated with respect.",
    "My daughter’s carer was lovely.",
    "staff were really kind.",
    "Staff were really kind",
    "Staff were kind. Really.",
    "Felt heard.",
    "It was A&E again.",
    "The staff at the NHS trust were kind.",
    "So kind, honestly couldn't fault them!",
    "Was it worth it?",
    "x" * 10 + " was lovely and " + "y" * 140 + ".",
    "Ok.",
]


def _macro(name: str) -> str:
    text = MACROS.read_text()
    match = re.search(r"{%-? macro " + name + r"\((\w*)\) -?%}(.*?){%-? endmacro %}", text, re.S)
    assert match, f"macro {name} not found in {MACROS.name}"
    return match.group(2)


def _returned(name: str) -> str:
    match = re.search(r"return\((.*?)\)\s*-?}}", _macro(name), re.S)
    assert match, f"macro {name} returns nothing"
    return match.group(1)


def _sql_predicate(column: str) -> str:
    """quote_is_publishable as SQL over ``column``, with the constants substituted as dbt would."""
    body = _macro("quote_is_publishable")
    words = "[" + ", ".join(f"'{w}'" for w in sorted(quotes.DENIED_WORDS)) + "]"
    body = body.replace("{{ sentence }}", column)
    body = body.replace("{{ quote_max_characters() }}", str(quotes.MAX_CHARACTERS))
    body = body.replace("{{ quote_min_words() }}", str(quotes.MIN_WORDS))
    body = body.replace("{{ quote_denied_words() | tojson | replace('\"', \"'\") }}", words)
    assert "{{" not in body and "{%" not in body, "quote_is_publishable changed shape: update this test"
    return body


def _sql_sentences(column: str) -> str:
    body = _macro("quote_sentences").replace("{{ text }}", column)
    assert "{{" not in body
    return body


def test_the_constants_and_denied_words_are_the_macros():
    assert int(_returned("quote_max_characters")) == quotes.MAX_CHARACTERS
    assert int(_returned("quote_min_words")) == quotes.MIN_WORDS
    assert int(_returned("quotes_per_theme")) == quotes.QUOTES_PER_THEME
    assert set(re.findall(r"'([a-z]+)'", _returned("quote_denied_words"))) == quotes.DENIED_WORDS


def test_sql_and_python_agree_on_every_sentence():
    with duckdb.connect(":memory:") as con:
        con.execute("create table t (i integer, s varchar)")
        con.executemany("insert into t values (?, ?)", list(enumerate(SENTENCES)))
        sql = con.execute(f"select i, {_sql_predicate('s')} from t order by i").fetchall()
    python = [(i, not quote_problems(s)) for i, s in enumerate(SENTENCES)]
    assert sql == python
    # and the rule is not trivial either way
    assert 0 < sum(ok for _, ok in python) < len(SENTENCES)


def test_sql_and_python_split_comments_into_the_same_sentences():
    comments = [
        "Staff were kind.  The wait was long!\nThanks\r\nfor asking? yes",
        "One line only",
        "Ends with a stop. ",
        "A&E... then home.\n\nDone.",
    ]
    with duckdb.connect(":memory:") as con:
        for comment in comments:
            (sql,) = con.execute(
                f"select list_transform({_sql_sentences('?')}, lambda x: trim(x, ' ' || chr(9)))", [comment]
            ).fetchone()
            assert sql == split_sentences(comment), comment


@pytest.mark.parametrize(
    ("sentence", "problem"),
    [
        ("They were kind to [PERSON_1] and me.", "a placeholder or symbol"),
        ("The crew [REDACTED] were gentle with me.", "a placeholder or symbol"),
        ("The nurse Sarah was lovely.", "a capitalised word after the first"),
        ("The nurse Élodie was lovely.", "a capitalised word after the first"),
        ("Waited for 23 hours.", "a digit"),
        ("Waited three hours in the corridor.", "a denied word"),
        ("My mum was treated with respect.", "a denied word"),
        ("Staff were really kind", "not one whole sentence"),
        ("staff were really kind.", "not one whole sentence"),
        ("Staff were kind. Really.", "not one whole sentence"),
        ("Felt heard.", "fewer words than the rule asks"),
        ("Staff " + "were very " * 20 + "kind.", "longer than the length bound"),
    ],
)
def test_each_part_of_the_rule_keeps_its_sentence_out(sentence: str, problem: str):
    assert problem in quote_problems(sentence)


def test_the_pronoun_i_and_its_contractions_are_allowed():
    assert quote_problems("I think they were so kind, I'm grateful.") == []
    assert quote_problems("I’ve never felt so listened to, and I’d come back.") == []
    assert quote_problems("Nobody asked what I wanted (I wasn't asked).") == []
