"""Small hand-made people for linkage tests: each pair exercises one way agencies record a person differently."""

from __future__ import annotations

import pandas as pd

COLUMNS = [
    "record_id",
    "source",
    "nhs_number",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "postcode",
    "address",
]


def people(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLUMNS)


# (record_id, source, nhs, given, family, dob, sex, postcode, address); truth person in CRAFTED_TRUTH
CRAFTED = [
    # nickname: Bob / Robert, different home (moved)
    ("n1", "police", "", "Robert", "Hargreaves", "1980-04-03", "M", "SN1 1AA", "1 High Street"),
    ("n2", "ed", "", "BOB", "HARGREAVES", "1980-04-03", "M", "SN5 7QT", "22 Mill Lane"),
    # swapped given and family names
    ("s1", "ambulance", "", "Elizabeth", "Okonkwo", "1975-11-20", "F", "", ""),
    ("s2", "mh", "", "OKONKWO", "ELIZABETH", "1975-11-20", "F", "", ""),
    # day and month transposed
    ("t1", "police", "", "William", "Brackenbury", "1990-02-07", "M", "", ""),
    ("t2", "council", "", "william", "brackenbury", "1990-07-02", "M", "", ""),
    # two different people sharing a common name and year of birth
    ("c1", "police", "", "John", "Smith", "1985-01-10", "M", "SN3 1AB", "5 Mill Lane"),
    ("c2", "ed", "", "John", "Smith", "1985-06-22", "M", "SN9 9ZZ", "88 Park Road"),
]
CRAFTED_TRUTH = {"n1": "N", "n2": "N", "s1": "S", "s2": "S", "t1": "T", "t2": "T", "c1": "C1", "c2": "C2"}
