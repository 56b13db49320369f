"""Turn a feed's rows into the canonical linkage input, using the identity columns its spec declares.

Every feed names its identity columns differently (``SUBJECT_SURNAME``, ``Patient_Surname``, ``Surname``) and some
write the whole name in one column; the spec's ``person_field`` tags say which is which, so linkage reads every
feed the same way. Dates of birth are read with the feed's own formats where they are unambiguous; two-digit years
are left to the linkage date parser, which never puts a birth in the future.
"""

from __future__ import annotations

import pandas as pd

from pipelines.feeds.base import FeedSpec
from pipelines.linkage.normalise import CANONICAL_COLUMNS, OPTIONAL_COLUMNS

# The mental health trust's own patient number (its MRN). It has no ``person_field`` (it is no national identifier),
# but three feeds carry it under this canonical name: the trust's contacts and outcome questionnaires, and the
# programme caseload "where the person is known to the trust". One number space, the trust's, so two records with
# the same number are the same trust patient (``pipelines.linkage.model.local_id_links``).
TRUST_PATIENT_NUMBER = "local_patient_id"


def canonical_records(rows: pd.DataFrame, spec: FeedSpec) -> pd.DataFrame:
    """``rows`` as the feed delivered them (native column names) -> ``record_id, source, ...`` canonical columns.

    ``source`` is the feed name. Identity fields the feed does not carry are empty; ``local_patient_id`` is the
    trust's patient number where the feed carries it. A ``full_name`` column is kept
    as ``full_name`` and split by ``build_spine`` where given/family names are missing.
    """
    if spec.record_id not in rows.columns:
        raise ValueError(f"{spec.name}: record id column {spec.record_id} missing")
    person = spec.person_columns()
    out = pd.DataFrame(index=rows.index)
    out["record_id"] = rows[spec.record_id].astype("string")
    out["source"] = spec.name
    for field in (*CANONICAL_COLUMNS[2:], *OPTIONAL_COLUMNS):
        native = person.get(field)
        out[field] = rows[native] if native is not None and native in rows.columns else None
    trust_number = next((c.name for c in spec.columns if c.canonical == TRUST_PATIENT_NUMBER), None)
    if trust_number is not None and trust_number in rows.columns:
        out["local_patient_id"] = rows[trust_number]
    native_full = person.get("full_name")
    if native_full is not None and native_full in rows.columns:
        out["full_name"] = rows[native_full]
    if person.get("date_of_birth") in rows.columns:
        out["date_of_birth"] = _dates_to_iso(rows[person["date_of_birth"]], spec.date_formats)
    return out.reset_index(drop=True)


def _dates_to_iso(values: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    text = values.astype("string").str.strip()
    out = text.copy()
    todo = text.notna()
    for fmt in formats:
        if "%y" in fmt:  # two-digit year: 05/06/65 must be 1965, not 2065
            continue
        parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        ok = parsed.notna()
        out.loc[parsed.index[ok]] = parsed[ok].dt.strftime("%Y-%m-%d")
        todo.loc[parsed.index[ok]] = False
    return out.astype("object").where(out.notna(), None)
