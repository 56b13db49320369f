"""Generalisation of quasi-identifiers: exact values that would single a person out become coarse ones.

A date of birth plus a postcode identifies most people in England; an age band at the time of contact plus an IMD
decile does not, and is what outcome analysis needs. Month-level dates serve where an exact date adds nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

import pandas as pd

#: Age bands (inclusive lower bounds) used across the warehouse. 16-17 is separate because services for children,
#: young people and adults differ; 75+ is open so that the oldest (rare, so identifying) are pooled.
AGE_BANDS: tuple[tuple[int, str], ...] = (
    (0, "0-15"),
    (16, "16-17"),
    (18, "18-24"),
    (25, "25-34"),
    (35, "35-44"),
    (45, "45-54"),
    (55, "55-64"),
    (65, "65-74"),
    (75, "75+"),
)
AGE_BAND_LABELS: tuple[str, ...] = tuple(label for _, label in AGE_BANDS)

#: Ages above this are treated as data errors (impossible), not as people.
MAX_PLAUSIBLE_AGE = 115


def _as_date(value: object) -> date | None:
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None


def band_for_age(age: int) -> str | None:
    """The band label of a whole-year age; ``None`` for a negative or implausible age."""
    if age < 0 or age > MAX_PLAUSIBLE_AGE:
        return None
    label = None
    for lower, name in AGE_BANDS:
        if age >= lower:
            label = name
    return label


def age_band(date_of_birth: date | None, at: date | None) -> str | None:
    """Age band at ``at`` (the contact date). ``None`` when either date is unknown or the age is impossible."""
    dob = _as_date(date_of_birth)
    when = _as_date(at)
    if dob is None or when is None:
        return None
    age = when.year - dob.year - ((when.month, when.day) < (dob.month, dob.day))
    return band_for_age(age)


def _to_datetime(series: pd.Series) -> pd.Series:
    out = pd.to_datetime(series, errors="coerce")
    if isinstance(out.dtype, pd.DatetimeTZDtype):
        out = out.dt.tz_localize(None)
    return out


def age_bands(dob: pd.Series, at: pd.Series) -> pd.Series:
    """Vectorised :func:`age_band`: element-wise band at ``at``; unparseable, missing or impossible -> ``<NA>``.

    Returns a pandas ``string`` series aligned to ``dob``'s index.
    """
    if len(dob) != len(at):
        raise ValueError("age_bands needs dob and at of the same length")
    born = _to_datetime(pd.Series(dob.to_numpy(), index=dob.index))
    when = _to_datetime(pd.Series(at.to_numpy(), index=dob.index))
    before_birthday = (when.dt.month < born.dt.month) | ((when.dt.month == born.dt.month) & (when.dt.day < born.dt.day))
    age = when.dt.year - born.dt.year - before_birthday.astype("int64")
    age = age.where(born.notna() & when.notna())
    valid = (age >= 0) & (age <= MAX_PLAUSIBLE_AGE)
    bins = [lower for lower, _ in AGE_BANDS] + [MAX_PLAUSIBLE_AGE + 1]
    banded = pd.cut(age.where(valid), bins=bins, right=False, labels=list(AGE_BAND_LABELS))
    return banded.astype("string")


def month_start(ts: pd.Series | date | datetime | None) -> pd.Series | date | None:
    """First day of the month: a series of timestamps -> timestamps at midnight on the 1st; a scalar -> ``date``.

    Timezone-aware series keep their zone. Unparseable values become ``NaT`` / ``None``.
    """
    if isinstance(ts, pd.Series):
        parsed = pd.to_datetime(ts, errors="coerce")
        return parsed.dt.normalize() - pd.to_timedelta(parsed.dt.day - 1, unit="D")
    value = _as_date(ts)
    if value is None:
        return None
    return value.replace(day=1)


def imd_decile(lsoa: pd.Series, lookup: Mapping[str, int]) -> pd.Series:
    """LSOA code -> Index of Multiple Deprivation decile (1 = most deprived), as nullable ``Int64``.

    Codes are matched after trimming and upper-casing; an unknown or missing LSOA gives ``<NA>``, not a guess.
    """
    clean: dict[str, int] = {}
    for code, decile in lookup.items():
        value = int(decile)
        if not 1 <= value <= 10:
            raise ValueError(f"IMD decile for LSOA {code} must be 1..10")
        clean[str(code).strip().upper()] = value
    keys = lsoa.astype("string").str.strip().str.upper()
    return keys.map(clean).astype("Int64")
