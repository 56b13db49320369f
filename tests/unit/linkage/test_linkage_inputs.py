"""Feed rows -> canonical linkage input, through the identity columns a feed spec declares."""

from __future__ import annotations

import pandas as pd
import pytest

from pipelines.feeds.base import Column, DType, FeedSpec, Role
from pipelines.linkage.inputs import canonical_records

SPEC = FeedSpec(
    name="mh_contacts",
    agency="MH trust",
    description="Test feed. One row per contact.",
    columns=(
        Column("Contact_ID", DType.STRING, Role.RECORD_ID, "id", required=True),
        Column("Patient_Name", DType.STRING, Role.IDENTIFIER, "name", person_field="full_name"),
        Column("DOB", DType.DATE, Role.IDENTIFIER, "dob", person_field="date_of_birth"),
        Column("Phone", DType.STRING, Role.IDENTIFIER, "phone", person_field="phone"),
    ),
    record_id="Contact_ID",
    event_at="Contact_ID",
    file_pattern="X_*.csv",
    date_formats=("%d-%b-%Y", "%d/%m/%y"),
)


def test_canonical_records_from_a_feed() -> None:
    rows = pd.DataFrame(
        {
            "Contact_ID": ["c1", "c2"],
            "Patient_Name": ["OKAFOR, Chidi", "Ann Lee"],
            "DOB": ["06-May-1979", "05/06/65"],
            "Phone": ["07700 900123", None],
        }
    )
    out = canonical_records(rows, SPEC)
    assert out["source"].tolist() == ["mh_contacts", "mh_contacts"]
    assert out["record_id"].tolist() == ["c1", "c2"]
    assert out["full_name"].tolist() == ["OKAFOR, Chidi", "Ann Lee"]
    assert out["date_of_birth"].iloc[0] == "1979-05-06"
    assert out["date_of_birth"].iloc[1] == "05/06/65"  # two-digit year left to the linkage parser (1965, not 2065)
    assert out["nhs_number"].isna().all() and out["phone"].iloc[0] == "07700 900123"


def test_missing_record_id_column_is_named() -> None:
    with pytest.raises(ValueError, match="Contact_ID"):
        canonical_records(pd.DataFrame({"x": [1]}), SPEC)
