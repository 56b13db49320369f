"""The high-frequency-contacts programme caseload: who was stepped up, managed and stepped down, by which intervention.

Kept by the programme's coordinators in a case-management tool and exported monthly; one row for
each step in an intervention episode. ``usual_care`` episodes are people identified as eligible who
were not taken on by a team: the comparison group an evaluation needs.
"""

from __future__ import annotations

from pipelines.feeds.base import Column, DType, FeedSpec, Role

EVENT_TYPES: dict[str, str] = {
    "STEP_UP": "Identified and stepped up into the intervention (episode starts)",
    "MANAGED": "Monthly review while managed by the intervention",
    "STEP_DOWN": "Stepped down (episode ends)",
}

INTERVENTIONS: dict[str, str] = {
    "high_intensity_team": "High intensity team (named coordinator, multi-agency plan)",
    "street_triage": "Street triage car (police officer with mental health nurse)",
    "usual_care": "Identified as eligible, left with usual care",
}

REFERRAL_ROUTES: dict[str, str] = {
    "POLICE": "Police",
    "AMBULANCE": "Ambulance service",
    "ED": "Emergency department",
    "MH_TRUST": "Mental health trust",
    "COUNCIL": "Council",
    "GP": "General practitioner",
}

STEP_DOWN_REASONS: dict[str, str] = {
    "GOALS_MET": "Goals met",
    "DISENGAGED": "Disengaged",
    "MOVED_AWAY": "Moved out of area",
    "TRANSFERRED": "Transferred to another service",
    "DIED": "Died",
    "OTHER": "Other",
}

CODE_LABELS: dict[str, dict[str, str]] = {
    "Event_Type": EVENT_TYPES,
    "Intervention": INTERVENTIONS,
    "Referral_Route": REFERRAL_ROUTES,
    "Step_Down_Reason": STEP_DOWN_REASONS,
}

SPEC = FeedSpec(
    name="programme_caseload",
    agency="High Frequency Contacts programme (multi-agency)",
    description=(
        "The programme's caseload: for each intervention episode (high intensity team, street triage or usual "
        "care), the step up that starts it, the monthly reviews while the person is managed and the step down "
        "that ends it, with the referral route, the step-down reason, the person's identifiers and a short "
        "coordinator note. One row per caseload event."
    ),
    columns=(
        Column(
            "Event_ID",
            DType.STRING,
            Role.RECORD_ID,
            "Caseload event identifier.",
            required=True,
            canonical="caseload_event_id",
        ),
        Column(
            "Episode_ID",
            DType.STRING,
            Role.PLAIN,
            "Intervention episode the event belongs to.",
            required=True,
            canonical="intervention_episode_id",
        ),
        Column(
            "Event_Date",
            DType.DATE,
            Role.PLAIN,
            "Date of the step up, review or step down.",
            required=True,
            canonical="event_date",
        ),
        Column(
            "Event_Type",
            DType.CODE,
            Role.PLAIN,
            "Step up, managed (review) or step down.",
            required=True,
            codes=tuple(EVENT_TYPES),
            canonical="event_type_code",
        ),
        Column(
            "Intervention",
            DType.CODE,
            Role.PLAIN,
            "Which intervention.",
            required=True,
            codes=tuple(INTERVENTIONS),
            canonical="intervention_code",
        ),
        Column(
            "Referral_Route",
            DType.CODE,
            Role.PLAIN,
            "Agency that identified the person (STEP_UP rows).",
            codes=tuple(REFERRAL_ROUTES),
            canonical="referral_route_code",
        ),
        Column(
            "Step_Down_Reason",
            DType.CODE,
            Role.PLAIN,
            "Why the episode ended (STEP_DOWN rows).",
            codes=tuple(STEP_DOWN_REASONS),
            canonical="step_down_reason_code",
        ),
        Column(
            "Local_Patient_ID",
            DType.STRING,
            Role.IDENTIFIER,
            "Mental health trust patient number, where the person is known to the trust.",
            canonical="local_patient_id",
        ),
        Column(
            "NHS_Number",
            DType.STRING,
            Role.IDENTIFIER,
            "NHS number.",
            person_field="nhs_number",
            canonical="nhs_number",
        ),
        Column(
            "Forename",
            DType.STRING,
            Role.IDENTIFIER,
            "Given name.",
            person_field="given_name",
            canonical="given_name",
        ),
        Column(
            "Surname",
            DType.STRING,
            Role.IDENTIFIER,
            "Family name.",
            person_field="family_name",
            canonical="family_name",
        ),
        Column(
            "Date_Of_Birth",
            DType.DATE,
            Role.IDENTIFIER,
            "Date of birth.",
            person_field="date_of_birth",
            canonical="date_of_birth",
        ),
        Column(
            "Postcode", DType.STRING, Role.IDENTIFIER, "Home postcode.", person_field="postcode", canonical="postcode"
        ),
        Column(
            "Coordinator_Note", DType.STRING, Role.FREE_TEXT, "Short coordinator note.", canonical="coordinator_note"
        ),
    ),
    record_id="Event_ID",
    event_at="Event_Date",
    file_pattern="HFC_CASELOAD_*.csv",
    delimiter=",",
    encoding="utf-8",
    date_formats=("%Y%m%d",),
    datetime_formats=("%Y%m%d %H%M",),
    true_values=("Y",),
    false_values=("N",),
    has_control_totals=True,
    notes=(
        "File per month: HFC_CASELOAD_YYYY-MM.csv, with a .ctl control total.",
        "Dates are compact, yyyymmdd.",
        "People are stepped up when their recent contacts peak; contacts fall afterwards partly by regression to "
        "the mean, so a naive before/after comparison overstates any effect.",
    ),
)
