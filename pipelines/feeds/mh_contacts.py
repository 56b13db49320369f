"""Mental health trust care contacts, in a shape close to the Mental Health Services Data Set.

The trust's patient administration system exports referrals, crisis contacts (attended or missed),
Mental Health Act detentions and crisis-plan status, semicolon-delimited with dates like 05-Mar-2024.
"""

from __future__ import annotations

from pipelines.feeds.base import Column, DType, FeedSpec, Role
from pipelines.feeds.ed_attendances import ETHNIC_CATEGORIES

CONTACT_TYPES: dict[str, str] = {
    "REFERRAL": "Referral received",
    "CRISIS_ASSESS": "Crisis assessment",
    "CRISIS_FOLLOWUP": "Crisis follow-up contact",
    "HOME_TREATMENT": "Home treatment team visit",
    "OUTPATIENT": "Outpatient / community appointment",
    "MHA_ASSESS": "Mental Health Act assessment",
    "ADMISSION": "Inpatient admission",
    "DISCHARGE": "Discharge from service",
}

ATTENDANCE: dict[str, str] = {
    "ATT": "Attended",
    "DNA": "Did not attend",
    "CANC_PT": "Cancelled by patient",
    "CANC_TR": "Cancelled by trust",
}

REFERRAL_SOURCES: dict[str, str] = {
    "GP": "General practitioner",
    "POLICE": "Police",
    "ED": "Emergency department / liaison",
    "AMB": "Ambulance service",
    "SELF": "Self-referral",
    "SOCIAL_CARE": "Local authority social care",
    "OTHER": "Other",
}

MHA_SECTIONS: dict[str, str] = {
    "S2": "Section 2: admission for assessment",
    "S3": "Section 3: admission for treatment",
    "S4": "Section 4: emergency admission",
    "S5_2": "Section 5(2): doctor's holding power",
    "S135": "Section 135: warrant to enter",
    "S136": "Section 136: removal to a place of safety",
}

TEAMS: dict[str, str] = {
    "CRHT": "Crisis resolution and home treatment",
    "CMHT": "Community mental health team",
    "LIAISON": "Liaison psychiatry",
    "HIT": "High intensity team",
    "STREET_TRIAGE": "Street triage car",
    "INPATIENT": "Inpatient ward",
}

GENDER_CODES: dict[str, str] = {"M": "Male", "F": "Female", "I": "Indeterminate", "U": "Unknown"}

CODE_LABELS: dict[str, dict[str, str]] = {
    "Contact_Type": CONTACT_TYPES,
    "Attendance": ATTENDANCE,
    "Referral_Source": REFERRAL_SOURCES,
    "MHA_Section": MHA_SECTIONS,
    "Team_Code": TEAMS,
    "Gender": GENDER_CODES,
    "Ethnic_Category": ETHNIC_CATEGORIES,
}

SPEC = FeedSpec(
    name="mh_contacts",
    agency="County Mental Health NHS Foundation Trust",
    description=(
        "Care contacts recorded by the mental health trust: referrals received, crisis assessments and follow-ups "
        "(attended or missed), Mental Health Act assessments and detentions with their section, admissions and "
        "discharges, whether a crisis plan is recorded and whether it was co-produced with the person, the team, "
        "the patient's details and the clinician's note. One row per care contact."
    ),
    columns=(
        Column(
            "Contact_ID",
            DType.STRING,
            Role.RECORD_ID,
            "Care contact identifier.",
            required=True,
            canonical="contact_id",
        ),
        Column(
            "Local_Patient_ID",
            DType.STRING,
            Role.IDENTIFIER,
            "Trust's own patient number (MRN), e.g. MH0012345.",
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
            "Forename",
            DType.STRING,
            Role.IDENTIFIER,
            "Patient given name.",
            person_field="given_name",
            canonical="given_name",
        ),
        Column(
            "Surname",
            DType.STRING,
            Role.IDENTIFIER,
            "Patient family name.",
            person_field="family_name",
            canonical="family_name",
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
            "Gender",
            DType.CODE,
            Role.PLAIN,
            "Patient gender.",
            codes=tuple(GENDER_CODES),
            person_field="sex",
            canonical="sex",
        ),
        Column(
            "Ethnic_Category",
            DType.CODE,
            Role.PLAIN,
            "Patient's NHS ethnic category (2001 census based letter, as in ECDS; Z not stated, 99 not known).",
            codes=tuple(ETHNIC_CATEGORIES),
            canonical="ethnic_category_code",
        ),
        Column(
            "Disability",
            DType.BOOLEAN,
            Role.PLAIN,
            "A disability is recorded for the patient (Y/N; blank: not recorded).",
            canonical="has_disability",
        ),
        Column(
            "Autism_LD_Flag",
            DType.BOOLEAN,
            Role.PLAIN,
            "Autism or a learning disability is recorded for the patient (Y/N; blank: not recorded).",
            canonical="is_neurodivergent",
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
            "Phone", DType.STRING, Role.IDENTIFIER, "Patient telephone number.", person_field="phone", canonical="phone"
        ),
        Column(
            "Contact_Date",
            DType.DATETIME,
            Role.PLAIN,
            "Date and time of the contact (or referral received).",
            required=True,
            canonical="contact_at",
        ),
        Column(
            "Contact_Type",
            DType.CODE,
            Role.PLAIN,
            "Kind of contact.",
            required=True,
            codes=tuple(CONTACT_TYPES),
            canonical="contact_type_code",
        ),
        Column(
            "Attendance",
            DType.CODE,
            Role.PLAIN,
            "Attended, did not attend (DNA) or cancelled (a crisis assessment cancelled by the trust was not "
            "provided).",
            codes=tuple(ATTENDANCE),
            canonical="attendance_code",
        ),
        Column(
            "Referral_Source",
            DType.CODE,
            Role.PLAIN,
            "Who referred (REFERRAL rows only).",
            codes=tuple(REFERRAL_SOURCES),
            canonical="referral_source_code",
        ),
        Column(
            "MHA_Section",
            DType.CODE,
            Role.PLAIN,
            "Mental Health Act section the person was detained under at this contact (blank if none).",
            codes=tuple(MHA_SECTIONS),
            canonical="mental_health_act_section_code",
        ),
        Column(
            "Crisis_Plan_Recorded",
            DType.BOOLEAN,
            Role.PLAIN,
            "A crisis plan is on the record at the time of the contact (the plan's own start date is not in the feed).",
            canonical="has_crisis_plan",
        ),
        Column(
            "Crisis_Plan_Coproduced",
            DType.BOOLEAN,
            Role.PLAIN,
            "The crisis plan was written or reviewed with the person (blank if no plan).",
            canonical="is_crisis_plan_coproduced",
        ),
        Column(
            "Team_Code",
            DType.CODE,
            Role.PLAIN,
            "Team that made the contact.",
            required=True,
            codes=tuple(TEAMS),
            canonical="team_code",
        ),
        Column("Clinician_Note", DType.STRING, Role.FREE_TEXT, "Clinician's contact note.", canonical="clinical_notes"),
    ),
    record_id="Contact_ID",
    event_at="Contact_Date",
    file_pattern="MHT_CONTACTS_*.csv",
    delimiter=";",
    encoding="utf-8",
    date_formats=("%d-%b-%Y",),
    datetime_formats=("%d-%b-%Y %H:%M",),
    true_values=("Y",),
    false_values=("N",),
    has_control_totals=True,
    subject_to_opt_out=True,
    notes=(
        "File per month: MHT_CONTACTS_YYYY-MM.csv, semicolon-delimited, with a .ctl control total.",
        "Dates are written 05-Mar-2024 (English month abbreviations).",
        "Local_Patient_ID is the trust's own patient number, shared with mh_outcome_measures and "
        "programme_caseload; it is an identifier without a person_field (linkage fields have no local id).",
        "Crisis_Plan_Recorded reflects the plan the trust holds for the person, so it is Y on every contact while a "
        "plan is in force (from the day it is written until it is closed), apart from rare recording errors.",
        "Ethnic_Category, Disability and Autism_LD_Flag are held once per patient on the trust's system, so every "
        "contact of a patient carries the same values; blank Disability or Autism_LD_Flag means not recorded, "
        "which is not the same as N.",
    ),
)
