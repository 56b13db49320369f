"""Cleaning of identity values before comparison: each rule here is one agency habit linkage must see through."""

from __future__ import annotations

import pandas as pd

from pipelines.linkage.normalise import (
    canonical_given_name,
    clean_email,
    clean_family_name,
    clean_given_name,
    clean_phone,
    clean_postcode,
    clean_sex,
    nhs_digits,
    nhs_number_valid,
    parse_dates,
    soundex,
    split_full_name,
)


def test_nhs_number_check_digit() -> None:
    digits = nhs_digits(pd.Series(["943 476 5919", "9434765918", "943-476-5919", "0000000000", "12", None]))
    assert pd.isna(digits.iloc[3])  # a placeholder is not an identifier
    valid = nhs_number_valid(digits).tolist()
    assert valid == [True, False, True, False, False, False]
    assert digits.iloc[0] == "9434765919"
    assert pd.isna(digits.iloc[4])  # too short to be an identifier


def test_dates_of_birth_in_agency_formats() -> None:
    parsed = parse_dates(
        pd.Series(["1980-04-03", "03/04/1980", "19800403", "3 Apr 1980", "1980", "1980-04", "04/25/1980", "1900-01-01"])
    )
    assert parsed["dob"].tolist()[:4] == ["1980-04-03"] * 4
    # year only and year-month are partial: no full date, but the year (and month) are kept
    assert parsed["dob"].iloc[4] is None and parsed["dob_year"].iloc[4] == 1980 and pd.isna(parsed["dob_month"].iloc[4])
    assert parsed["dob"].iloc[5] is None and parsed["dob_month"].iloc[5] == 4
    # month above 12: read month-first
    assert parsed["dob"].iloc[6] == "1980-04-25"
    # a placeholder date says nothing about the person
    assert parsed["dob"].iloc[7] is None and pd.isna(parsed["dob_year"].iloc[7])


def test_impossible_dates_keep_what_is_known() -> None:
    parsed = parse_dates(pd.Series(["1980-02-30", "not a date", "2999-01-01", "", None]))
    assert parsed["dob"].iloc[0] is None and parsed["dob_year"].iloc[0] == 1980 and parsed["dob_month"].iloc[0] == 2
    assert parsed["dob_year"].iloc[1:].isna().all()


def test_names_fold_case_accents_and_punctuation() -> None:
    assert clean_family_name(pd.Series(["O'Brien", "  smith-jones ", "Ó BRIEN"])).tolist() == [
        "OBRIEN",
        "SMITHJONES",
        "OBRIEN",
    ]
    assert clean_given_name(pd.Series(["Mr John Paul", "élodie", " "])).tolist()[:2] == ["JOHN", "ELODIE"]
    assert pd.isna(clean_given_name(pd.Series([" "])).iloc[0])


def test_nicknames_map_to_one_canonical_name() -> None:
    canon = canonical_given_name(pd.Series(["BOB", "ROBERT", "LIZ", "ELIZABETH", "BILL", "PEGGY", "ZEBEDEE"]))
    assert canon.tolist() == ["ROBERT", "ROBERT", "ELIZABETH", "ELIZABETH", "WILLIAM", "MARGARET", "ZEBEDEE"]


def test_split_full_name_both_orders() -> None:
    split = split_full_name(
        pd.Series(["SMITH, John", "John Paul Smith", "SMITH John", "Dr Jane Doe", "Hannah", "", None])
    )
    assert split["given_name"].tolist()[:5] == ["John", "John Paul", "John", "Jane", "Hannah"]
    assert split["family_name"].tolist()[:4] == ["SMITH", "Smith", "SMITH", "Doe"]
    assert pd.isna(split["family_name"].iloc[4])  # one name alone is a given name
    assert split["given_name"].iloc[5:].isna().all()


def test_sex_postcode_and_soundex() -> None:
    assert clean_sex(pd.Series(["m", "Female", "2", "U", None])).tolist()[:3] == ["M", "F", "F"]
    assert clean_postcode(pd.Series(["sw1a 1aa", "SW1A-1AA"])).tolist() == ["SW1A1AA", "SW1A1AA"]
    assert soundex("ROBERT") == soundex("RUPERT") == "R163"
    assert soundex("SMITH") == soundex("SMYTH")


def test_phone_and_email() -> None:
    phones = clean_phone(pd.Series(["+44 (0)7700 900123", "07700900123", "(07700) 900 123", "123", None]))
    assert phones.tolist()[:3] == ["7700900123"] * 3
    assert phones.iloc[3:].isna().all()
    emails = clean_email(pd.Series([" Jo.Bloggs@Example.COM ", "not an email", None]))
    assert emails.iloc[0] == "jo.bloggs@example.com" and emails.iloc[1:].isna().all()
