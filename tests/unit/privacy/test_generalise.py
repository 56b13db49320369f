from datetime import date, datetime

import pandas as pd
import pytest

from pipelines.privacy.generalise import AGE_BAND_LABELS, age_band, age_bands, imd_decile, month_start


@pytest.mark.parametrize(
    ("dob", "at", "band"),
    [
        (date(2010, 6, 1), date(2026, 5, 31), "0-15"),
        (date(2010, 6, 1), date(2026, 6, 1), "16-17"),
        (date(2008, 6, 1), date(2026, 6, 1), "18-24"),
        (date(2001, 6, 2), date(2026, 6, 1), "18-24"),
        (date(2001, 6, 1), date(2026, 6, 1), "25-34"),
        (date(1990, 1, 1), date(2026, 1, 1), "35-44"),
        (date(1980, 1, 1), date(2026, 1, 1), "45-54"),
        (date(1970, 1, 1), date(2026, 1, 1), "55-64"),
        (date(1960, 1, 1), date(2026, 1, 1), "65-74"),
        (date(1951, 1, 1), date(2026, 1, 1), "75+"),
        (date(2026, 1, 1), date(2026, 1, 1), "0-15"),
        (datetime(2000, 2, 29, 13), datetime(2018, 2, 28, 9), "16-17"),
    ],
)
def test_age_band(dob, at, band):
    assert age_band(dob, at) == band


@pytest.mark.parametrize(
    ("dob", "at"),
    [
        (None, date(2020, 1, 1)),
        (date(2000, 1, 1), None),
        (date(2021, 1, 1), date(2020, 1, 1)),
        (date(1800, 1, 1), date(2020, 1, 1)),
    ],
)
def test_age_band_unknown_or_impossible(dob, at):
    assert age_band(dob, at) is None


def test_age_bands_matches_scalar():
    dobs = [date(2010, 6, 1), None, date(1990, 1, 1), date(2030, 1, 1), date(2000, 2, 29), date(1950, 12, 31)]
    ats = [date(2026, 6, 1), date(2026, 1, 1), date(2026, 1, 1), date(2026, 1, 1), date(2018, 2, 28), None]
    out = age_bands(pd.Series(dobs, index=list("abcdef")), pd.Series(ats))
    assert list(out.index) == list("abcdef")
    expected = [age_band(d, a) for d, a in zip(dobs, ats, strict=True)]
    assert [None if pd.isna(v) else v for v in out] == expected
    assert set(out.dropna()) <= set(AGE_BAND_LABELS)


def test_age_bands_parses_strings_and_bad_values():
    out = age_bands(pd.Series(["2000-05-02", "not a date"]), pd.Series(["2018-05-01", "2018-05-01"]))
    assert out.iloc[0] == "16-17"
    assert pd.isna(out.iloc[1])


def test_month_start_series_and_scalar():
    series = pd.Series(pd.to_datetime(["2024-03-17 13:05", "2024-12-31 23:59", None]))
    out = month_start(series)
    assert list(out[:2]) == [pd.Timestamp("2024-03-01"), pd.Timestamp("2024-12-01")]
    assert pd.isna(out.iloc[2])
    assert month_start(date(2024, 3, 17)) == date(2024, 3, 1)
    assert month_start(datetime(2024, 3, 17, 5)) == date(2024, 3, 1)
    assert month_start(None) is None


def test_month_start_keeps_timezone():
    series = pd.Series(pd.to_datetime(["2024-07-17 00:30"]).tz_localize("Europe/London"))
    out = month_start(series)
    assert out.iloc[0] == pd.Timestamp("2024-07-01", tz="Europe/London")


def test_imd_decile():
    out = imd_decile(pd.Series([" e01000001", "E01000002", None, "E99999999"]), {"E01000001": 3, "E01000002": 10})
    assert str(out.dtype) == "Int64"
    assert out.iloc[0] == 3
    assert out.iloc[1] == 10
    assert out.isna().tolist() == [False, False, True, True]


def test_imd_decile_rejects_bad_lookup():
    with pytest.raises(ValueError):
        imd_decile(pd.Series(["E01000001"]), {"E01000001": 11})
