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

CODE_LABELS: dict[str, dict[str, str]] = {"Service": SERVICES, "Reason": REASONS, "Outcome": OUTCOMES}

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
    ),
)
