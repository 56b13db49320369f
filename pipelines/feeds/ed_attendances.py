"""Emergency department attendances in the shape of the Emergency Care Data Set (ECDS).

ECDS is the national data set for urgent and emergency care; the trust exports a monthly
extract with ECDS field names, SNOMED-style chief complaint codes and NHS numbers on most rows.
The chief complaint codes here are a synthetic subset modelled on the ECDS chief-complaint
reference set, not an authoritative copy of it.
"""

from __future__ import annotations

from pipelines.feeds.base import Column, DType, FeedSpec, Role

ARRIVAL_MODES: dict[str, str] = {
    "1048031000000100": "Emergency road ambulance",
    "1048041000000109": "Police vehicle",
    "1048071000000103": "Own transport / walked in",
    "1048061000000105": "Other",
}

CHIEF_COMPLAINTS: dict[str, str] = {
    "248062006": "Self-harm",
    "6471006": "Suicidal thoughts",
    "1149222004": "Overdose",
    "25702006": "Alcohol intoxication",
    "25786006": "Behaviour change / agitation",
    "48694002": "Anxiety / panic",
    "29857009": "Chest pain",
    "267036007": "Breathlessness",
    "21522001": "Abdominal pain",
    "25064002": "Headache",
    "1912002": "Fall",
    "91175000": "Seizure",
    "417163006": "Traumatic injury",
}

ACUITY: dict[str, str] = {
    "1": "Immediate resuscitation",
    "2": "Very urgent",
    "3": "Urgent",
    "4": "Standard",
    "5": "Low acuity",
}

DISCHARGE_STATUS: dict[str, str] = {
    "TREATED": "Treatment completed",
    "LBT": "Left before treatment completed",
    "LBA": "Left before assessment",
    "STREAMED": "Streamed to another service",
    "DIED": "Died in department",
}

DISCHARGE_DESTINATIONS: dict[str, str] = {
    "HOME": "Usual place of residence",
    "ADMIT": "Admitted to an acute ward",
    "MH_UNIT": "Mental health inpatient unit",
    "POLICE": "Police custody",
    "OTHER_HOSP": "Transferred to another hospital",
    "NFA": "No fixed abode / not known",
}

GENDER_CODES: dict[str, str] = {"1": "Male", "2": "Female", "9": "Indeterminate", "X": "Not known"}

NHS_NUMBER_STATUS: dict[str, str] = {
    "01": "Number present and verified",
    "02": "Number present but not traced",
    "03": "Trace required",
    "07": "Number not present and trace not required",
}

ETHNIC_CATEGORIES: dict[str, str] = {
    "A": "White - British",
    "B": "White - Irish",
    "C": "White - Any other White background",
    "D": "Mixed - White and Black Caribbean",
    "E": "Mixed - White and Black African",
    "F": "Mixed - White and Asian",
    "G": "Mixed - Any other mixed background",
    "H": "Asian or Asian British - Indian",
    "J": "Asian or Asian British - Pakistani",
    "K": "Asian or Asian British - Bangladeshi",
    "L": "Asian or Asian British - Any other Asian background",
    "M": "Black or Black British - Caribbean",
    "N": "Black or Black British - African",
    "P": "Black or Black British - Any other Black background",
    "R": "Other Ethnic Groups - Chinese",
    "S": "Other Ethnic Groups - Any other ethnic group",
    "Z": "Not stated",
    "99": "Not known",
}

CODE_LABELS: dict[str, dict[str, str]] = {
    "EC_Arrival_Mode": ARRIVAL_MODES,
    "EC_Chief_Complaint": CHIEF_COMPLAINTS,
    "EC_Acuity": ACUITY,
    "EC_Discharge_Status": DISCHARGE_STATUS,
    "EC_Discharge_Destination": DISCHARGE_DESTINATIONS,
    "Person_Stated_Gender_Code": GENDER_CODES,
    "NHS_Number_Status_Indicator_Code": NHS_NUMBER_STATUS,
    "Ethnic_Category": ETHNIC_CATEGORIES,
}

SPEC = FeedSpec(
    name="ed_attendances",
    agency="County Acute Hospitals Trust (emergency department)",
    description=(
        "Emergency department attendances in Emergency Care Data Set shape: arrival date, time and mode, the "
        "SNOMED-style chief complaint (including self-harm, suicidal thoughts and overdose), acuity, discharge "
        "status (including left before treatment), discharge destination, whether liaison psychiatry was "
        "referred to, the patient's details and the clinical notes. One row per attendance."
    ),
    columns=(
        Column(
            "EC_Ident",
            DType.STRING,
            Role.RECORD_ID,
            "Emergency care attendance identifier.",
            required=True,
            canonical="attendance_id",
        ),
        Column("Arrival_Date", DType.DATE, Role.PLAIN, "Arrival date.", required=True, canonical="arrival_date"),
        Column(
            "Arrival_Time",
            DType.STRING,
            Role.PLAIN,
            "Arrival time, HH:MM (24-hour).",
            required=True,
            canonical="arrival_time",
        ),
        Column(
            "EC_Arrival_Mode",
            DType.CODE,
            Role.PLAIN,
            "How the patient arrived (SNOMED-style code).",
            codes=tuple(ARRIVAL_MODES),
            canonical="arrival_mode_code",
        ),
        Column(
            "EC_Chief_Complaint",
            DType.CODE,
            Role.PLAIN,
            "Chief complaint (SNOMED-style code).",
            required=True,
            codes=tuple(CHIEF_COMPLAINTS),
            canonical="chief_complaint_code",
        ),
        Column(
            "EC_Acuity",
            DType.CODE,
            Role.PLAIN,
            "Initial assessment acuity, 1 (immediate) to 5 (low).",
            codes=tuple(ACUITY),
            canonical="acuity_code",
        ),
        Column(
            "EC_Discharge_Status",
            DType.CODE,
            Role.PLAIN,
            "Status at discharge, including left before treatment.",
            codes=tuple(DISCHARGE_STATUS),
            canonical="discharge_status_code",
        ),
        Column(
            "EC_Discharge_Destination",
            DType.CODE,
            Role.PLAIN,
            "Where the patient went.",
            codes=tuple(DISCHARGE_DESTINATIONS),
            canonical="discharge_destination_code",
        ),
        Column(
            "Liaison_Psychiatry_Referral",
            DType.BOOLEAN,
            Role.PLAIN,
            "Referred to the liaison psychiatry team during the attendance.",
            canonical="has_liaison_psychiatry_referral",
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
            "NHS_Number_Status_Indicator_Code",
            DType.CODE,
            Role.PLAIN,
            "Whether the NHS number was verified by tracing.",
            codes=tuple(NHS_NUMBER_STATUS),
            canonical="nhs_number_status_code",
        ),
        Column(
            "Patient_Surname",
            DType.STRING,
            Role.IDENTIFIER,
            "Patient family name.",
            person_field="family_name",
            canonical="family_name",
        ),
        Column(
            "Patient_Forename",
            DType.STRING,
            Role.IDENTIFIER,
            "Patient given name.",
            person_field="given_name",
            canonical="given_name",
        ),
        Column(
            "Person_Birth_Date",
            DType.DATE,
            Role.IDENTIFIER,
            "Patient date of birth.",
            person_field="date_of_birth",
            canonical="date_of_birth",
        ),
        Column(
            "Person_Stated_Gender_Code",
            DType.CODE,
            Role.PLAIN,
            "Person stated gender (NHS data dictionary codes).",
            codes=tuple(GENDER_CODES),
            person_field="sex",
            canonical="sex",
        ),
        Column(
            "Ethnic_Category",
            DType.CODE,
            Role.PLAIN,
            "NHS ethnic category (2001 census based codes).",
            codes=tuple(ETHNIC_CATEGORIES),
            canonical="ethnic_category_code",
        ),
        Column(
            "Postcode_Usual_Address",
            DType.STRING,
            Role.IDENTIFIER,
            "Postcode of usual address.",
            person_field="postcode",
            canonical="postcode",
        ),
        Column(
            "LSOA_Of_Residence",
            DType.STRING,
            Role.QUASI_IDENTIFIER,
            "LSOA of usual residence, derived by the trust from the postcode.",
            person_field="lsoa",
            canonical="lsoa_code",
        ),
        Column("Clinical_Notes", DType.STRING, Role.FREE_TEXT, "ED clinician notes.", canonical="clinical_notes"),
    ),
    record_id="EC_Ident",
    event_at="Arrival_Date",
    file_pattern="ECDS_EXTRACT_*.csv",
    delimiter=",",
    encoding="utf-8",
    date_formats=("%Y-%m-%d",),
    datetime_formats=("%Y-%m-%d %H:%M",),
    true_values=("Y",),
    false_values=("N",),
    has_control_totals=False,
    subject_to_opt_out=True,
    notes=(
        "File per month: ECDS_EXTRACT_YYYY-MM.csv.",
        "Arrival date and time are separate columns, as in ECDS.",
        "Chief complaint codes are SNOMED-style codes from a synthetic subset of the ECDS reference set.",
    ),
)
