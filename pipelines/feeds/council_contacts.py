"""Local authority housing and adult social care contacts, from the council's legacy case system.

The export is Windows-1252 encoded (so names such as Zoë or Seán arrive in cp1252), with two-digit
years, and the client's name in one column as 'Forename SURNAME'.
"""

from __future__ import annotations

from pipelines.feeds.base import Column, DType, FeedSpec, Role

SERVICES: dict[str, str] = {
    "HOUSING": "Housing options / homelessness",
    "ASC": "Adult social care",
}

REASONS: dict[str, str] = {
    "HOMELESS": "Homeless presentation",
    "TENANCY_RISK": "Tenancy at risk",
    "ARREARS": "Rent arrears",
    "ASB_COMPLAINT": "Anti-social behaviour complaint",
    "SAFEGUARDING": "Safeguarding concern",
    "CARE_ASSESS": "Care needs assessment",
    "CARER_SUPPORT": "Carer support",
    "WELFARE_CHECK": "Welfare check",
    "REPAIRS": "Repairs / disrepair",
}

OUTCOMES: dict[str, str] = {
    "ADVICE": "Advice and information",
    "TEMP_ACCOM": "Temporary accommodation provided",
    "REFERRAL": "Referred to another service",
    "ASSESSMENT": "Assessment booked",
    "S42_ENQUIRY": "Safeguarding enquiry (Care Act s42)",
    "NFA": "No further action",
}

# The council's ethnicity codes: the ONS 2021 census categories (England), not the NHS ethnic category letters.
# Each code's label is "<ONS 2021 high-level group>: <detailed category>"; REF and NK are not a group.
ETHNICITY_CODES: dict[str, str] = {
    "W1": "White: English, Welsh, Scottish, Northern Irish or British",
    "W2": "White: Irish",
    "W3": "White: Gypsy or Irish Traveller",
    "W4": "White: Roma",
    "W9": "White: Any other White background",
    "M1": "Mixed or Multiple: White and Black Caribbean",
    "M2": "Mixed or Multiple: White and Black African",
    "M3": "Mixed or Multiple: White and Asian",
    "M9": "Mixed or Multiple: Any other Mixed or Multiple background",
    "A1": "Asian or Asian British: Indian",
    "A2": "Asian or Asian British: Pakistani",
    "A3": "Asian or Asian British: Bangladeshi",
    "A4": "Asian or Asian British: Chinese",
    "A9": "Asian or Asian British: Any other Asian background",
    "B1": "Black, Black British, Caribbean or African: Caribbean",
    "B2": "Black, Black British, Caribbean or African: African",
    "B9": "Black, Black British, Caribbean or African: Any other Black background",
    "O1": "Other ethnic group: Arab",
    "O9": "Other ethnic group: Any other ethnic group",
    "REF": "Refused / not stated",
    "NK": "Not known",
}
# Council ethnicity code -> ONS 2021 high-level group (the five groups; REF and NK map to none).
ETHNICITY_ONS_GROUP: dict[str, str] = {
    code: label.split(": ", 1)[0] for code, label in ETHNICITY_CODES.items() if code not in {"REF", "NK"}
}

# Adult social care's primary support reason (the short- and long-term support return's categories).
PRIMARY_SUPPORT_REASONS: dict[str, str] = {
    "PHYS": "Physical support: access, mobility or personal care",
    "SENS": "Sensory support: visual, hearing or dual sensory impairment",
    "MEM_COG": "Support with memory and cognition",
    "LD": "Learning disability support",
    "MH": "Mental health support",
    "SOC_SUPPORT": "Social support: substance misuse, asylum, social isolation or other",
}

CODE_LABELS: dict[str, dict[str, str]] = {
    "Service": SERVICES,
    "Reason": REASONS,
    "Outcome": OUTCOMES,
    "Ethnicity": ETHNICITY_CODES,
    "Primary_Support_Reason": PRIMARY_SUPPORT_REASONS,
}

SPEC = FeedSpec(
    name="council_contacts",
    agency="County Council (housing and adult social care)",
    description=(
        "Contacts with the council's housing options and adult social care services: the service, the reason for "
        "the contact, its outcome, the client's details as the council holds them and the officer's case note. "
        "One row per council contact."
    ),
    columns=(
        Column(
            "CaseRef", DType.STRING, Role.RECORD_ID, "Contact reference.", required=True, canonical="council_contact_id"
        ),
        Column(
            "ContactDate",
            DType.DATETIME,
            Role.PLAIN,
            "When the contact was logged.",
            required=True,
            canonical="contacted_at",
        ),
        Column(
            "Service",
            DType.CODE,
            Role.PLAIN,
            "Which council service.",
            required=True,
            codes=tuple(SERVICES),
            canonical="service_code",
        ),
        Column(
            "Reason",
            DType.CODE,
            Role.PLAIN,
            "Reason for the contact.",
            required=True,
            codes=tuple(REASONS),
            canonical="contact_reason_code",
        ),
        Column(
            "Outcome",
            DType.CODE,
            Role.PLAIN,
            "Outcome of the contact.",
            codes=tuple(OUTCOMES),
            canonical="contact_outcome_code",
        ),
        Column(
            "ClientName",
            DType.STRING,
            Role.IDENTIFIER,
            "Client name as 'Forename SURNAME'.",
            person_field="full_name",
            canonical="full_name",
        ),
        Column(
            "ClientDOB",
            DType.DATE,
            Role.IDENTIFIER,
            "Client date of birth.",
            person_field="date_of_birth",
            canonical="date_of_birth",
        ),
        Column(
            "AddressLine",
            DType.STRING,
            Role.IDENTIFIER,
            "Client address (house/flat and street, town).",
            person_field="address",
            canonical="address",
        ),
        Column(
            "PostCode",
            DType.STRING,
            Role.IDENTIFIER,
            "Client postcode.",
            person_field="postcode",
            canonical="postcode",
        ),
        Column(
            "LSOA",
            DType.STRING,
            Role.QUASI_IDENTIFIER,
            "LSOA of the client's address, from the council's gazetteer.",
            person_field="lsoa",
            canonical="lsoa_code",
        ),
        Column(
            "Telephone", DType.STRING, Role.IDENTIFIER, "Client telephone.", person_field="phone", canonical="phone"
        ),
        Column("Email", DType.STRING, Role.IDENTIFIER, "Client email.", person_field="email", canonical="email"),
        Column(
            "NHSNo",
            DType.STRING,
            Role.IDENTIFIER,
            "NHS number (adult social care records only, often blank).",
            person_field="nhs_number",
            canonical="nhs_number",
        ),
        Column(
            "Ethnicity",
            DType.CODE,
            Role.PLAIN,
            "Client's ethnicity, council code list (ONS 2021 categories; adult social care rows only).",
            codes=tuple(ETHNICITY_CODES),
            canonical="ethnicity_code",
        ),
        Column(
            "Disability",
            DType.BOOLEAN,
            Role.PLAIN,
            "Client has a disability (Y/N; blank: not recorded; adult social care rows only).",
            canonical="has_disability",
        ),
        Column(
            "Primary_Support_Reason",
            DType.CODE,
            Role.PLAIN,
            "Client's primary support reason (adult social care rows only; blank: not recorded or carer contact).",
            codes=tuple(PRIMARY_SUPPORT_REASONS),
            canonical="primary_support_reason_code",
        ),
        Column("CaseNote", DType.STRING, Role.FREE_TEXT, "Officer's case note.", canonical="case_note"),
    ),
    record_id="CaseRef",
    event_at="ContactDate",
    file_pattern="LA_CONTACTS_*.csv",
    delimiter=",",
    encoding="cp1252",
    date_formats=("%d/%m/%y",),
    datetime_formats=("%d/%m/%y %H:%M",),
    true_values=("Y",),
    false_values=("N",),
    has_control_totals=False,
    notes=(
        "File per month: LA_CONTACTS_YYYY-MM.csv, Windows-1252 encoded.",
        "Dates have two-digit years (dd/mm/yy); a year yy is 20yy if that is not in the future, else 19yy.",
        "ClientName is one column, 'Forename SURNAME'.",
        "Ethnicity, Disability and Primary_Support_Reason are recorded by adult social care only (blank on housing "
        "rows) and held once per client, so every contact of a client carries the same values.",
        "Ethnicity codes map to the ONS 2021 high-level groups by their letter: W White; M Mixed or Multiple; "
        "A Asian or Asian British (A4 Chinese included, unlike the NHS 2001 letters where Chinese is R, 'Other'); "
        "B Black, Black British, Caribbean or African; O Other ethnic group. REF (refused) and NK (not known) "
        "map to no group.",
    ),
)
