"""Police command-and-control (CAD) incident logs, as the force's CAD system exports them.

Names and dates of birth are recorded by call handlers and officers, NHS numbers almost never;
the mental-health flag is set by hand and inconsistently, which is why opening and closing codes
and the narrative matter as much as ``MH_FLAG``.
"""

from __future__ import annotations

from pipelines.feeds.base import Column, DType, FeedSpec, Role

OPENING_CODES: dict[str, str] = {
    "CFS": "Concern for safety",
    "SUIC": "Suicidal person / threat of self-harm",
    "MISPER": "Missing person",
    "ASB": "Anti-social behaviour",
    "DOMESTIC": "Domestic incident",
    "DISTURB": "Disturbance / breach of the peace",
    "ASSAULT": "Assault",
    "THEFT": "Theft / shoplifting",
    "RTC": "Road traffic collision",
    "WELFARE": "Welfare check requested by a partner agency",
    "ABANDON": "Abandoned or silent 999 call",
}

CLOSING_CODES: dict[str, str] = {
    "S136": "Detained under s136 Mental Health Act (place of safety)",
    "ARREST": "Arrest made",
    "CUSTODY": "Taken to custody",
    "CONVEY_HOSP": "Conveyed to hospital by police",
    "AMB_HANDOVER": "Handed over to ambulance service",
    "MH_REFERRAL": "Referred to mental health services",
    "ADVICE": "Words of advice given",
    "NFA": "No further action",
    "NO_TRACE": "Subject not traced",
    "PARTNER_REF": "Referred to partner agency (council, social care)",
}

GRADES: dict[str, str] = {
    "1": "Emergency response",
    "2": "Priority response",
    "3": "Scheduled response",
    "4": "Resolved without deployment",
}

SEX_CODES: dict[str, str] = {"M": "Male", "F": "Female", "U": "Unknown"}

CODE_LABELS: dict[str, dict[str, str]] = {
    "OPENING_CODE": OPENING_CODES,
    "CLOSING_CODE": CLOSING_CODES,
    "GRADE": GRADES,
    "SUBJECT_SEX": SEX_CODES,
}

SPEC = FeedSpec(
    name="police_incidents",
    agency="County Police (command and control)",
    description=(
        "Incident logs from the force's command-and-control system: when the log was opened and closed, the "
        "opening code the call handler chose, the closing code (disposal, including s136 detention, arrest, "
        "custody and conveyance to hospital), a hand-set mental-health flag, the subject's details as recorded "
        "and the log narrative. One row per incident log."
    ),
    columns=(
        Column(
            "INCIDENT_REF",
            DType.STRING,
            Role.RECORD_ID,
            "CAD incident reference, e.g. CAD-240101-00012.",
            required=True,
            canonical="incident_id",
        ),
        Column(
            "OPENED_DT",
            DType.DATETIME,
            Role.PLAIN,
            "When the log was opened.",
            required=True,
            canonical="opened_at",
        ),
        Column("CLOSED_DT", DType.DATETIME, Role.PLAIN, "When the log was closed.", canonical="closed_at"),
        Column(
            "GRADE",
            DType.CODE,
            Role.PLAIN,
            "Response grade (1 emergency to 4 resolved without deployment).",
            required=True,
            codes=tuple(GRADES),
            canonical="response_grade",
        ),
        Column(
            "OPENING_CODE",
            DType.CODE,
            Role.PLAIN,
            "Call handler's classification when the log was opened.",
            required=True,
            codes=tuple(OPENING_CODES),
            canonical="opening_code",
        ),
        Column(
            "CLOSING_CODE",
            DType.CODE,
            Role.PLAIN,
            "Disposal when the log was closed.",
            codes=tuple(CLOSING_CODES),
            canonical="closing_code",
        ),
        Column(
            "MH_FLAG",
            DType.BOOLEAN,
            Role.PLAIN,
            "Officer or handler tagged the incident as mental-health related (applied inconsistently).",
            canonical="is_mental_health_related",
        ),
        Column("UNITS_ASSIGNED", DType.INTEGER, Role.PLAIN, "Police units deployed.", canonical="units_assigned"),
        Column(
            "SUBJECT_SURNAME",
            DType.STRING,
            Role.IDENTIFIER,
            "Subject's surname as recorded.",
            person_field="family_name",
            canonical="family_name",
        ),
        Column(
            "SUBJECT_FORENAMES",
            DType.STRING,
            Role.IDENTIFIER,
            "Subject's forename(s) as recorded.",
            person_field="given_name",
            canonical="given_name",
        ),
        Column(
            "SUBJECT_DOB",
            DType.DATE,
            Role.IDENTIFIER,
            "Subject's date of birth as given at the scene.",
            person_field="date_of_birth",
            canonical="date_of_birth",
        ),
        Column(
            "SUBJECT_SEX",
            DType.CODE,
            Role.PLAIN,
            "Subject's sex as recorded.",
            codes=tuple(SEX_CODES),
            person_field="sex",
            canonical="sex",
        ),
        Column(
            "SUBJECT_ADDRESS",
            DType.STRING,
            Role.IDENTIFIER,
            "Subject's home address, one line.",
            person_field="address",
            canonical="address",
        ),
        Column(
            "SUBJECT_POSTCODE",
            DType.STRING,
            Role.IDENTIFIER,
            "Subject's home postcode (any case and spacing).",
            person_field="postcode",
            canonical="postcode",
        ),
        Column(
            "SUBJECT_TEL",
            DType.STRING,
            Role.IDENTIFIER,
            "Contact telephone number.",
            person_field="phone",
            canonical="phone",
        ),
        Column(
            "SUBJECT_NHS_NO",
            DType.STRING,
            Role.IDENTIFIER,
            "NHS number, rarely known to police.",
            person_field="nhs_number",
            canonical="nhs_number",
        ),
        Column("LOG_NARRATIVE", DType.STRING, Role.FREE_TEXT, "Free-text incident log.", canonical="narrative"),
    ),
    record_id="INCIDENT_REF",
    event_at="OPENED_DT",
    file_pattern="CAD_EXPORT_*.csv",
    delimiter=",",
    encoding="utf-8",
    date_formats=("%d/%m/%Y",),
    datetime_formats=("%d/%m/%Y %H:%M",),
    true_values=("Y",),
    false_values=("N",),
    has_control_totals=True,
    notes=(
        "File per month: CAD_EXPORT_YYYY-MM.csv, with CAD_EXPORT_YYYY-MM.csv.ctl holding the row count.",
        "MH_FLAG is set by hand: many mental-health-related incidents are not flagged, and some are left blank.",
        "NHS numbers are rarely known to police.",
    ),
)
