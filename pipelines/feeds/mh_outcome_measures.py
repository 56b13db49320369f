"""Outcome questionnaires recorded by the mental health trust, item by item, with dates.

ReQoL-10 (ten mental-health items scored 0-4 plus one physical-health item scored 0-4),
SWEMWBS (seven items scored 1-5) and CORE-10 (ten items scored 0-4). The trust's outcomes
system exports one row per item answered, tab-separated.
"""

from __future__ import annotations

from pipelines.feeds.base import Column, DType, FeedSpec, Role

MEASURES: dict[str, str] = {
    "REQOL10": "ReQoL-10: Recovering Quality of Life (items 1-10 scored 0-4; item 11 physical health 0-4)",
    "SWEMWBS": "Short Warwick-Edinburgh Mental Wellbeing Scale (items 1-7 scored 1-5)",
    "CORE10": "CORE-10 psychological distress (items 1-10 scored 0-4)",
}

# Number of items and the inclusive score range of each measure: the generator and the gate both read this.
MEASURE_ITEMS: dict[str, tuple[int, int, int]] = {
    "REQOL10": (11, 0, 4),
    "SWEMWBS": (7, 1, 5),
    "CORE10": (10, 0, 4),
}

ADMINISTRATION: dict[str, str] = {
    "SELF": "Self-completed",
    "CLIN": "Completed with a clinician",
    "PHONE": "Completed by telephone",
}

TIMEPOINTS: dict[str, str] = {
    "BASELINE": "At or before the start of an intervention",
    "REVIEW": "During an intervention",
    "FOLLOWUP": "After an intervention ended",
    "ROUTINE": "Routine outcome monitoring",
}

CODE_LABELS: dict[str, dict[str, str]] = {
    "Measure": MEASURES,
    "Administration": ADMINISTRATION,
    "Timepoint": TIMEPOINTS,
}

SPEC = FeedSpec(
    name="mh_outcome_measures",
    agency="County Mental Health NHS Foundation Trust (outcomes system)",
    description=(
        "Patient-reported outcome questionnaires (ReQoL-10, SWEMWBS, CORE-10) answered item by item: the "
        "questionnaire instance, its date and timepoint, the item number and score, how it was administered and "
        "the patient's identifiers. One row per questionnaire item answered."
    ),
    columns=(
        Column(
            "Response_ID",
            DType.STRING,
            Role.RECORD_ID,
            "Identifier of this item response.",
            required=True,
            canonical="item_response_id",
        ),
        Column(
            "Assessment_ID",
            DType.STRING,
            Role.PLAIN,
            "Identifier of the questionnaire instance the item belongs to.",
            required=True,
            canonical="assessment_id",
        ),
        Column(
            "Local_Patient_ID",
            DType.STRING,
            Role.IDENTIFIER,
            "Trust's own patient number (MRN), shared with mh_contacts.",
            required=True,
            canonical="local_patient_id",
        ),
        Column(
            "NHS_Number",
            DType.STRING,
            Role.IDENTIFIER,
            "Patient NHS number.",
            person_field="nhs_number",
            canonical="nhs_number",
        ),
        Column(
            "Patient_Name",
            DType.STRING,
            Role.IDENTIFIER,
            "Patient name as 'Forename Surname'.",
            person_field="full_name",
            canonical="full_name",
        ),
        Column(
            "DOB",
            DType.DATE,
            Role.IDENTIFIER,
            "Patient date of birth.",
            person_field="date_of_birth",
            canonical="date_of_birth",
        ),
        Column(
            "Postcode",
            DType.STRING,
            Role.IDENTIFIER,
            "Patient's home postcode.",
            person_field="postcode",
            canonical="postcode",
        ),
        Column(
            "Assessment_Date",
            DType.DATE,
            Role.PLAIN,
            "Date the questionnaire was completed.",
            required=True,
            canonical="assessment_date",
        ),
        Column(
            "Measure",
            DType.CODE,
            Role.PLAIN,
            "Which questionnaire.",
            required=True,
            codes=tuple(MEASURES),
            canonical="measure_code",
        ),
        Column(
            "Timepoint",
            DType.CODE,
            Role.PLAIN,
            "Where in the person's care the questionnaire fell.",
            codes=tuple(TIMEPOINTS),
            canonical="timepoint_code",
        ),
        Column(
            "Item_No",
            DType.INTEGER,
            Role.PLAIN,
            "Item number within the questionnaire, from 1.",
            required=True,
            canonical="item_number",
        ),
        Column(
            "Item_Score",
            DType.INTEGER,
            Role.PLAIN,
            "Score given to the item (range depends on the measure; blank if skipped).",
            canonical="item_score",
        ),
        Column(
            "Administration",
            DType.CODE,
            Role.PLAIN,
            "How the questionnaire was completed.",
            codes=tuple(ADMINISTRATION),
            canonical="administration_code",
        ),
    ),
    record_id="Response_ID",
    event_at="Assessment_Date",
    file_pattern="PROMS_*.tsv",
    delimiter="\t",
    encoding="utf-8",
    date_formats=("%d/%m/%Y",),
    datetime_formats=("%d/%m/%Y %H:%M",),
    has_control_totals=False,
    subject_to_opt_out=True,
    notes=(
        "File per month: PROMS_YYYY-MM.tsv, tab-separated.",
        "Item ranges: ReQoL-10 11 items 0-4 (item 11 is the physical-health item, not in the total); SWEMWBS 7 "
        "items 1-5; CORE-10 10 items 0-4.",
        "Higher ReQoL and SWEMWBS scores are better; higher CORE-10 scores mean more distress.",
    ),
)
