import pytest

from pipelines.privacy import lexicons
from pipelines.privacy.names import AMBIGUOUS, NAME, UNKNOWN, WORD, NameFinder


@pytest.fixture(scope="module")
def finder():
    return NameFinder()


def names_in(finder, text, known=()):
    return [text[s.start : s.end] for s in finder.scan(text, known).spans]


def test_lexicons_are_broad_and_classify_word_names():
    given, family = lexicons.given_names(), lexicons.family_names()
    assert len(given) > 5000 and len(family) > 5000
    for name in ["sarah", "mohammed", "siobhan", "zbigniew", "chidi", "aisha", "oluwaseun", "wei"]:
        assert name in given, name
    for name in ["patel", "kowalski", "okafor", "nguyen", "obrien", "hussain", "murphy"]:
        assert name in family, name
    ambiguous = lexicons.ambiguous_names()
    assert {"hope", "will", "grace", "rose", "faith"} <= ambiguous
    assert "john" not in ambiguous and "khan" not in ambiguous


def test_classes(finder):
    assert finder.classify("Sarah")[1] == NAME
    assert finder.classify("Hope")[1] == AMBIGUOUS
    assert finder.classify("tablets")[1] == WORD
    assert finder.classify("Xqzlwy")[1] == UNKNOWN
    assert finder.classify("O\u2019Brien")[0] == "obrien"
    assert finder.classify("Łukasz")[0] == "lukasz"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("spoke to sarah on the phone", ["sarah"]),
        ("thanks to will and grace for the support", ["will", "grace"]),
        ("her son Will had taken tablets", ["Will"]),
        ("She will call back and we hope it helps", []),
        ("Grace Okafor was calm", ["Grace", "Okafor"]),
        ("seen by Nurse Faith on the ward", ["Faith"]),
        ("PC Xanthopoulos attended", ["Xanthopoulos"]),
        ("Dr. Smith reviewed", ["Smith"]),
        ("Kwame told officers that Mohammed and Siobhán had left", ["Kwame", "Mohammed", "Siobhán"]),
        ("Sarah's mum rang", ["Sarah"]),
        ("Jan de Vries was found", ["Jan", "de", "Vries"]),
        ("my son miran was upset", ["miran"]),
        ("CALLER SHAHRIYOR BELL ON THE LINE", ["SHAHRIYOR", "BELL"]),
        ("joy from the team was brilliant", ["joy"]),
        ("Will you call me back?", []),
    ],
)
def test_name_pass(finder, text, expected):
    assert names_in(finder, text) == expected


def test_possessive_kept_outside_span(finder):
    text = "Sarah's mum rang"
    (span,) = finder.scan(text).spans
    assert text[span.end :].startswith("'s")


def test_known_names_always_masked_even_if_words(finder):
    assert names_in(finder, "we will hope for the best", known={"hope"}) == ["hope"]


def test_institution_words_stop_capital_evidence(finder):
    assert names_in(finder, "taken to the Royal Infirmary") == []


def test_gate_sends_only_unexplained_sentences(finder):
    text = "Officers attended. She said Zxqvrt was there yesterday. No injuries."
    scan = finder.scan(text)
    assert len(scan.ner_segments) == 1
    start, end = scan.ner_segments[0]
    assert text[start:end] == "She said Zxqvrt was there yesterday."
    assert scan.unexplained
    clean = finder.scan("Officers attended. The crisis team visited. No injuries.")
    assert clean.ner_segments == [] and clean.spans == []


def test_places_and_acronyms_are_explained(finder):
    scan = finder.scan("Taken to Leeds by the CAD team under MHA powers.")
    assert scan.ner_segments == []


def test_english_short_forms_are_names(finder):
    """A narrative writes "Matt" or "Mo" for the Matthew or Mohammed on the record: short forms are in the lists
    (as word-names where they are also words, so they still need context)."""
    for short in ["matt", "mo", "phil", "pete", "kev", "liz", "steph", "deb"]:
        assert short in lexicons.given_names(), short
    assert finder.classify("Phil")[1] == NAME
    assert finder.classify("Matt")[1] == AMBIGUOUS
    assert names_in(finder, "Matt was found at the supermarket car park.") == ["Matt"]
    assert names_in(finder, "Obs stable. Pt Mo asked that we contact the ward.") == ["Mo"]
    assert names_in(finder, "Room painted in matt white.") == []  # the word, in lower case, is not a name
