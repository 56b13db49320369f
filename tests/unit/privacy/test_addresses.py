"""Tricky UK street addresses: flats before house numbers, building and house names, hostels, ranges, case.

Each case asserts that every letter and digit of the address lies inside some finding (the benchmark's rule), so a
finding split in two still counts, and a partly masked address does not.
"""

from __future__ import annotations

import pytest

from pipelines.privacy import recognizers as rec
from pipelines.privacy.names import NameFinder


def _unmasked(text: str, part: str, spans: list[rec.Span]) -> str:
    """The letters and digits of ``part`` (inside ``text``) that no span covers; empty when fully masked."""
    start = text.index(part)
    masked = bytearray(len(text))
    for s in spans:
        masked[s.start : s.end] = b"\x01" * (s.end - s.start)
    return "".join(ch for i, ch in enumerate(part) if ch.isalnum() and not masked[start + i])


@pytest.mark.parametrize(
    ("text", "address"),
    [
        # a flat number (with a letter) written straight before the house number
        ("Lives at Flat 4A 98 Abbey Avenue, Lowmoor with her son.", "Flat 4A 98 Abbey Avenue, Lowmoor"),
        ("RESIDES FLAT 2C 14 CHURCH LANE, ELMSTEAD. NO WARNINGS", "FLAT 2C 14 CHURCH LANE, ELMSTEAD"),
        # ... right after a date: the date's digits are not a house number and do not swallow "FLAT"
        ("DOB 13/05/1961, RESIDES FLAT 7B 79 PARK LANE, KINGSBURY. SEEN", "FLAT 7B 79 PARK LANE, KINGSBURY"),
        # a named building between the flat and the street, with and without a kind word
        ("Attended Flat 22, The Granary, 91 North Street, AB1 2CD, pt found.", "Flat 22, The Granary, 91 North Street"),
        ("ATTENDED FLAT 9, THE GRANARY, 4 NORTH STREET, AB1 2CD", "FLAT 9, THE GRANARY, 4 NORTH STREET"),
        ("visit to flat 6, the granary, 39 north street (ab1 2cd), answered", "flat 6, the granary, 39 north street"),
        (
            "Apartment 12, Waterside Court, 1 Dock Road, Sheffield.",
            "Apartment 12, Waterside Court, 1 Dock Road, Sheffield",
        ),
        ("Room 4, Beacon House, 12 King Street, Lowmoor", "Room 4, Beacon House, 12 King Street, Lowmoor"),
        ("Address Flat 3/2, 45 Dumbarton Road, Glasgow.", "Flat 3/2, 45 Dumbarton Road, Glasgow"),
        ("Flat A, 7 Princes Street, Ely", "Flat A, 7 Princes Street, Ely"),
        ("Basement Flat, 7 Albion Place, Bath", "Basement Flat, 7 Albion Place, Bath"),
        ("Now at Flat 4, 2-4 High Street, Ware.", "Flat 4, 2-4 High Street, Ware"),
        # house names, "c/o", "care of"
        ("c/o The Willows, Station Road, Lowmoor", "The Willows, Station Road, Lowmoor"),
        ("Address: Holly Cottage, Church Lane, Great Bardfield.", "Holly Cottage, Church Lane, Great Bardfield"),
        ("Post to go c/o 22 Beech Grove, Ashby please.", "22 Beech Grove, Ashby"),
        ("care of 7 Elm Road, Hitchin", "7 Elm Road, Hitchin"),
        # hostels and supported housing before the street
        ("Staying at Riverside House hostel, 5 Canal Street since May.", "Riverside House hostel, 5 Canal Street"),
        ("Resides at St Mungo's Hostel, 12 King Street", "St Mungo's Hostel, 12 King Street"),
        ("Placed at Oakwood Lodge supported housing, 40 Elm Road.", "Oakwood Lodge supported housing, 40 Elm Road"),
        # ranges, letters, units, commas, "The Green"
        ("Seen at 12-14 Market Street, Hexham today.", "12-14 Market Street, Hexham"),
        ("Works at Unit 3, Eastgate Business Park, Mill Road, Lowmoor.", "Unit 3, Eastgate Business Park, Mill Road"),
        ("Lives at 47 B Victoria Road, Stone.", "47 B Victoria Road, Stone"),
        ("She moved to 101A YORK ROAD, LOWMOOR last week", "101A YORK ROAD, LOWMOOR"),
        ("Address 12, Oak Road, Ashford.", "12, Oak Road, Ashford"),
        ("Went to 12 Oak Road,Ashford by bus", "12 Oak Road,Ashford"),
        ("ADDRESS: 5 THE GREEN, LITTLE WITTON. NFA", "5 THE GREEN, LITTLE WITTON"),
        ("at 5 The Crescent, Bath", "5 The Crescent, Bath"),
        ("Visit to 3 St John's Wood Road.", "3 St John's Wood Road"),
        ("i live at flat 2, 16 oak road, ashford and nobody came", "flat 2, 16 oak road, ashford"),
        # a town between the street and the postcode, without a comma
        ("resides 4 Orchard Way Lowmoor HF2 3CD", "4 Orchard Way Lowmoor"),
    ],
)
def test_tricky_uk_addresses_fully_masked(text, address):
    spans = rec.find_street_addresses(text) + rec.find_postcodes(text)
    assert _unmasked(text, address, spans) == "", [text[s.start : s.end] for s in spans]


@pytest.mark.parametrize(
    ("text", "building"),
    [
        ("She lives at Beacon House, Lowmoor now.", "Beacon House, Lowmoor"),
        ("staying at Riverside hostel since May", "Riverside hostel"),
        ("post c/o Rose Cottage please", "Rose Cottage"),
        ("HE WAS STAYING AT ST MUNGO'S HOSTEL, KINGSMERE", "ST MUNGO'S HOSTEL, KINGSMERE"),
    ],
)
def test_named_building_after_a_residence_cue(text, building):
    assert building in [text[s.start : s.end] for s in rec.find_street_addresses(text)]


@pytest.mark.parametrize(
    "text",
    [
        "Took 2 tablets at 10:30 and 3 more later.",
        "On 12 March she walked to the park with her dog.",
        "Spent 3 hours in A&E waiting, 2 officers attended.",
        "Flat affect, poor eye contact, low mood.",
        "Care of the patient was handed over to the crisis team.",
        "Discussed at the 2 weekly meeting, plan to review in 4 weeks.",
        "The house was untidy and the flat smelt of smoke.",
        "lives at the house with mum",
        "DOB 13/05/1961, no fixed abode",
    ],
)
def test_address_negatives(text):
    assert rec.find_street_addresses(text) == [], [text[s.start : s.end] for s in rec.find_street_addresses(text)]


def test_flat_number_is_not_left_between_two_findings():
    text = "RESIDES FLAT 7B 79 PARK LANE, KINGSBURY."
    spans = rec.find_street_addresses(text)
    assert any(text[s.start : s.end] == "FLAT 7B 79 PARK LANE, KINGSBURY" for s in spans)


@pytest.mark.parametrize(
    ("text", "postcode"),
    [
        ("Attended 12 Oak Avenue, Lowmoor, Hf22 2st, pt found", "Hf22 2st"),  # "2st" is no ordinal
        ("postcode Hf23 1nd.", "Hf23 1nd"),
        ("postcode hf23 1st.", "hf23 1st"),  # a lower-case code, not "1st"
    ],
)
def test_postcode_whose_inward_code_looks_like_an_ordinal(text, postcode):
    assert postcode in [text[s.start : s.end] for s in rec.find_postcodes(text)]


def test_true_ordinal_after_an_upper_case_code_is_not_a_postcode():
    assert rec.find_postcodes("office in B2 4th floor") == []


@pytest.fixture(scope="module")
def finder() -> NameFinder:
    return NameFinder()


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Will emailed from the library asking to rearrange.", "Will"),
        ("Sue was found at the churchyard by officers.", "Sue"),
        ("DAD CALLED AGAIN WORRIED ABOUT DAWN. LOG CLOSED.", "DAWN"),
        ("NURSE ON THE TRIAGE CAR (PS BUTLER) SPOKE TO HIM AT SCENE.", "BUTLER"),
        ("PNC CHECK ON WHITE, DECLAN - NO WARNINGS OF NOTE.", "WHITE"),
    ],
)
def test_word_names_with_person_context(finder, text, name):
    found = [text[s.start : s.end] for s in finder.scan(text).spans]
    assert name in found, found


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("Will be reviewed by the team tomorrow.", "Will"),
        ("Hope is that things settle down.", "Hope"),
        ("May was a difficult month for her.", "May"),
    ],
)
def test_word_names_without_person_context_stay(finder, text, word):
    assert word not in [text[s.start : s.end] for s in finder.scan(text).spans]


def test_a_pronoun_the_name_lists_hold_is_not_a_name_before_a_verb(finder):
    # "He" is also a family name in the lists; "He said" must not turn every "He" into a placeholder
    assert finder.scan("He said he was fine. He returned home.").spans == []


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("lives at number 12 Oak Road", "number 12 Oak Road"),
        ("Ground Floor Flat 2, 5 Elm Walk, Leeds", "Ground Floor Flat 2, 5 Elm Walk, Leeds"),
        ("address: 2/1, 45 Dumbarton Road", "2/1, 45 Dumbarton Road"),
        ("Flat 12 Kestrel Court Lowmoor", "Flat 12 Kestrel Court Lowmoor"),
        ("THE OLD FORGE, 3 CHURCH LANE, WEM", "THE OLD FORGE, 3 CHURCH LANE, WEM"),
        ("home address Flat 40, 80 Burton Flats m26 7ng.", "Flat 40, 80 Burton Flats"),
    ],
)
def test_more_uk_address_forms(text, address):
    spans = rec.find_street_addresses(text) + rec.find_postcodes(text)
    assert _unmasked(text, address, spans) == "", [text[s.start : s.end] for s in spans]


def test_a_bare_word_after_the_street_is_not_taken_when_it_is_an_everyday_word():
    text = "AT 12 OAK ROAD SHOPLIFTING REPORTED"
    assert [text[s.start : s.end] for s in rec.find_street_addresses(text)] == ["12 OAK ROAD"]
