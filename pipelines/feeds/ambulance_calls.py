"""Ambulance service 999 calls, as the computer-aided dispatch system exports them.

Ambulance records usually carry a traced NHS number; the patient name is one column
("SURNAME, Forename") and the export is pipe-delimited with ISO timestamps.
"""

from __future__ import annotations

from pipelines.feeds.base import Column, DType, FeedSpec, Role

CATEGORIES: dict[str, str] = {
    "1": "Life-threatening",
    "2": "Emergency",
    "3": "Urgent",
    "4": "Less urgent",
    "5": "Clinical assessment / hear and treat",
}

CHIEF_COMPLAINTS: dict[str, str] = {
    "PSYCH": "Psychiatric / abnormal behaviour / suicide attempt",
    "OVERDOSE": "Overdose / poisoning",
    "SELF_HARM": "Self-harm injury",
    "ALCOHOL": "Alcohol intoxication",
    "FALL": "Fall",
    "CHEST_PAIN": "Chest pain",
    "BREATHING": "Breathing problems",
    "SEIZURE": "Convulsions / seizure",
    "ASSAULT": "Assault / injury",
    "SICK_PERSON": "Sick person (unspecified)",
    "UNCONSCIOUS": "Unconscious / fainting",
    "WELFARE": "Welfare concern",
}

OUTCOMES: dict[str, str] = {
    "hear_and_treat": "Managed over the phone",
    "see_and_treat": "Treated at scene, not conveyed",
    "see_and_convey": "Conveyed to hospital",
    "closed_without_assessment": "Closed without clinical assessment (stood down, call abandoned or patient not found)",
}

DESTINATIONS: dict[str, str] = {
    "RX101": "County General Hospital ED",
    "RX102": "Northtown Hospital ED",
    "RX201": "Riverside Mental Health Unit (place of safety)",
    "RX301": "Urgent treatment centre",
}

SEX_CODES: dict[str, str] = {"Male": "Male", "Female": "Female", "Unknown": "Unknown"}

CODE_LABELS: dict[str, dict[str, str]] = {
    "Category": CATEGORIES,
    "ChiefComplaint": CHIEF_COMPLAINTS,
    "Outcome": OUTCOMES,
    "DestinationCode": DESTINATIONS,
    "PatientSex": SEX_CODES,
}

SPEC = FeedSpec(
    name="ambulance_calls",
    agency="County Ambulance Service",
    description=(
        "999 calls handled by the ambulance service: response category, the chief complaint coded at triage, "
        "whether the call was closed over the phone (hear and treat), at scene (see and treat), by conveyance "
        "(see and convey) or without anyone clinically assessing the patient, where the patient was taken, the "
        "patient's details and the clinician's notes. One row per call."
    ),
    columns=(
        Column("CallID", DType.STRING, Role.RECORD_ID, "Dispatch call reference.", required=True, canonical="call_id"),
        Column(
            "CallDateTime",
            DType.DATETIME,
            Role.PLAIN,
            "When the call was received.",
            required=True,
            canonical="call_received_at",
        ),
        Column(
            "Category",
            DType.CODE,
            Role.PLAIN,
            "Ambulance Response Programme category 1-5.",
            required=True,
            codes=tuple(CATEGORIES),
            canonical="response_category",
        ),
        Column(
            "ChiefComplaint",
            DType.CODE,
            Role.PLAIN,
            "Chief complaint coded at call triage.",
            required=True,
            codes=tuple(CHIEF_COMPLAINTS),
            canonical="chief_complaint_code",
        ),
        Column(
            "Outcome",
            DType.CODE,
            Role.PLAIN,
            "How the call was closed.",
            required=True,
            codes=tuple(OUTCOMES),
            canonical="call_outcome",
        ),
        Column(
            "DestinationCode",
            DType.CODE,
            Role.PLAIN,
            "Site the patient was conveyed to (see_and_convey only).",
            codes=tuple(DESTINATIONS),
            canonical="destination_site_code",
        ),
        Column(
            "ResponseSecs",
            DType.INTEGER,
            Role.PLAIN,
            "Seconds from call to first resource on scene (blank for hear and treat, and where no resource arrived).",
            canonical="response_seconds",
        ),
        Column(
            "MHRelated",
            DType.BOOLEAN,
            Role.PLAIN,
            "Crew recorded a mental-health component.",
            canonical="is_mental_health_related",
        ),
        Column(
            "NHSNumber",
            DType.STRING,
            Role.IDENTIFIER,
            "Patient NHS number (traced by the crew or the control room).",
            person_field="nhs_number",
            canonical="nhs_number",
        ),
        Column(
            "PatientName",
            DType.STRING,
            Role.IDENTIFIER,
            "Patient name as 'SURNAME, Forename'.",
            person_field="full_name",
            canonical="full_name",
        ),
        Column(
            "PatientDOB",
            DType.DATE,
            Role.IDENTIFIER,
            "Patient date of birth.",
            person_field="date_of_birth",
            canonical="date_of_birth",
        ),
        Column(
            "PatientSex",
            DType.CODE,
            Role.PLAIN,
            "Patient sex.",
            codes=tuple(SEX_CODES),
            person_field="sex",
            canonical="sex",
        ),
        Column(
            "PatientAddress",
            DType.STRING,
            Role.IDENTIFIER,
            "Patient's home address.",
            person_field="address",
            canonical="address",
        ),
        Column(
            "PatientPostcode",
            DType.STRING,
            Role.IDENTIFIER,
            "Patient's home postcode.",
            person_field="postcode",
            canonical="postcode",
        ),
        Column(
            "CallbackNumber",
            DType.STRING,
            Role.IDENTIFIER,
            "Number the call came from / call-back number.",
            person_field="phone",
            canonical="phone",
        ),
        Column("ClinicalNotes", DType.STRING, Role.FREE_TEXT, "Crew clinical notes.", canonical="clinical_notes"),
    ),
    record_id="CallID",
    event_at="CallDateTime",
    file_pattern="AMB_CALLS_*.txt",
    delimiter="|",
    encoding="utf-8",
    date_formats=("%Y-%m-%d",),
    datetime_formats=("%Y-%m-%dT%H:%M:%S",),
    true_values=("Yes",),
    false_values=("No",),
    has_control_totals=True,
    subject_to_opt_out=True,
    notes=(
        "File per month: AMB_CALLS_YYYY-MM.txt, pipe-delimited, with a .ctl control total.",
        "PatientName is one column, 'SURNAME, Forename'; linkage splits it.",
        "Outcome closed_without_assessment: the call ended with no clinician (on the phone or at scene) assessing "
        "the patient; a crew may have arrived (ResponseSecs recorded) and found no one or been stood down.",
    ),
)
