import pytest

from pipelines.privacy.normalise import (
    fold_name,
    nhs_check_digit,
    nhs_number_is_valid,
    normalise_nhs_number,
    normalise_postcode,
)


def _with_check(nine: str) -> str:
    check = nhs_check_digit(nine)
    assert check is not None
    return nine + str(check)


@pytest.mark.parametrize("value", ["9434765919", "943 476 5919", "943-476-5919", " 9434765870 ", "4010232137"])
def test_valid_nhs_numbers(value):
    assert nhs_number_is_valid(value)


@pytest.mark.parametrize(
    "value",
    [
        "9434765918",
        "943476591",
        "94347659190",
        "abcdefghij",
        "0000000000",
        "1111111111",
        "",
        "\uff19\uff14\uff13\uff14\uff17\uff16\uff15\uff19\uff11\uff19",
    ],
)
def test_invalid_nhs_numbers(value):
    assert not nhs_number_is_valid(value)


def test_check_digit_ten_is_never_valid():
    # find a nine-digit prefix whose remainder gives 10: no check digit can make it valid
    prefix = next(f"{n:09d}" for n in range(100000000, 100001000) if nhs_check_digit(f"{n:09d}") is None)
    assert not any(nhs_number_is_valid(prefix + str(d)) for d in range(10))


def test_every_single_digit_typo_is_caught():
    number = _with_check("401023213")
    for i in range(10):
        for d in "0123456789":
            if d != number[i]:
                assert not nhs_number_is_valid(number[:i] + d + number[i + 1 :])


def test_normalise_nhs_number():
    assert normalise_nhs_number("943 476 5919") == "9434765919"
    assert normalise_nhs_number("943-476-5918") is None
    assert normalise_nhs_number(None) is None


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("O'Brien", "obrien"),
        ("ÓBRIEN", "obrien"),
        ("O\u2019Brien", "obrien"),
        ("  Zoë   SMITH-jones ", "zoe smith jones"),
        ("Łukasz Wiśniewski", "lukasz wisniewski"),
        ("Søren", "soren"),
        ("STRAßE", "strasse"),
        ("Siobhán", "siobhan"),
        ("St. John", "st john"),
    ],
)
def test_fold_name(raw, folded):
    assert fold_name(raw) == folded


@pytest.mark.parametrize("raw", [None, "", "  ", "'-"])
def test_fold_name_empty(raw):
    assert fold_name(raw) is None


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("sw1a1aa", "SW1A 1AA"),
        ("SW1A 1AA", "SW1A 1AA"),
        (" m1  1ae", "M1 1AE"),
        ("B33 8TH", "B33 8TH"),
        ("cr2 6xh", "CR2 6XH"),
        ("DN55 1PT", "DN55 1PT"),
        ("W1A 0AX", "W1A 0AX"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("gir 0aa", "GIR 0AA"),
    ],
)
def test_postcodes(raw, clean):
    assert normalise_postcode(raw) == clean


@pytest.mark.parametrize("raw", [None, "", "SW1A", "12345", "QA1 1AA", "SW1A 1AC", "AB1 1CI", "SW1A 1AAA", 42])
def test_not_postcodes(raw):
    assert normalise_postcode(raw) is None
