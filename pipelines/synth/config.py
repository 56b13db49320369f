"""The synthetic county's dials: every documented rate lives here, once.

docs/feeds.md is rendered from these values and tests check the generated files against them, so a
rate changed here changes the docs and the expectations together.
"""

from __future__ import annotations

from types import MappingProxyType

CHUNK_SIZE = 5000  # people generated together; fixed, so the output never depends on the machine
N_LSOAS = 400  # synthetic LSOAs E01900001.. in the county
POSTCODES_PER_LSOA = 12
POSTCODE_AREA = "HF"  # invented postcode area

# Latent need: a person's base monthly contact rate is lognormal (heavy-tailed); a monthly AR(1) shock on the
# log scale makes contacts come in spells, so people picked at a peak regress to their mean afterwards.
NEED_LOG_MEAN = -3.45
NEED_LOG_SD = 1.55
SPELL_AR = 0.6
SPELL_SD = 0.75
DEPRIVATION_NEED_SLOPE = 0.09  # log-need rises by this much per IMD decile more deprived
MAX_BASE_RATE = 5.0  # base contacts a month are capped here (the heaviest users in the literature)
MAX_MONTHLY_RATE = 20.0  # and the expected contacts in any one month

# Share of a person's crisis contacts going to each agency: Dirichlet(concentration * weights).
AGENCY_WEIGHTS = MappingProxyType(
    {
        "police_incidents": 0.27,
        "ambulance_calls": 0.2,
        "ed_attendances": 0.25,
        "mh_contacts": 0.16,
        "council_contacts": 0.12,
    }
)
AGENCY_CONCENTRATION = 2.0

# Police mental-health tagging: the true nature of each incident is in the truth (records.csv).
MH_FLAG_GIVEN_MH = MappingProxyType({"Y": 0.58, "N": 0.30, "": 0.12})
MH_FLAG_GIVEN_NOT_MH = MappingProxyType({"Y": 0.04, "N": 0.86, "": 0.10})

# Ambulance crews record a mental-health component more reliably than police tag incidents.
AMBULANCE_MH_FLAG_SENSITIVITY = 0.85
AMBULANCE_MH_FLAG_FALSE_POSITIVE = 0.03

# Share of records carrying an NHS number, per feed (blank otherwise).
NHS_NUMBER_PRESENT = MappingProxyType(
    {
        "police_incidents": 0.08,
        "ambulance_calls": 0.82,
        "ed_attendances": 0.93,
        "mh_contacts": 0.97,
        "mh_outcome_measures": 0.95,
        "council_contacts": 0.6,  # adult social care rows only; housing rows never carry one
        "programme_caseload": 0.88,
    }
)
NHS_NUMBER_INVALID = 0.005  # of NHS numbers present: one digit mistyped, so the check digit fails

# Identifier errors as agencies hold them (share of records, per feed unless stated).
IDENTIFIER_ERRORS = MappingProxyType(
    {
        "name_typo": 0.04,  # one character substituted, dropped, doubled or transposed in a name
        "nickname": 0.10,  # given name recorded as a nickname (Bob for Robert), where one exists
        "swapped_names": 0.02,  # given and family names swapped
        "dob_day_month_swapped": 0.02,  # day and month transposed (only where the day is 12 or less)
        "dob_missing": 0.04,  # date of birth left blank
        "stale_address": 0.35,  # after a move, the agency still holds the old address
        "postcode_missing": 0.05,  # postcode left blank
    }
)
MOVE_RATE = 0.15  # people who move house once during the period

# Messiness (share of records per feed), every case listed in synth_truth/messiness.csv.
MESSINESS = MappingProxyType(
    {
        "duplicate_row": 0.005,  # the same row (same record id) appears twice in a delivery
        "missing_required": 0.003,  # a required field other than the record id and event date is blank
        "unknown_code": 0.004,  # a code column holds a value not in the code list
        "out_of_range_date": 0.002,  # the event date is in 1900 or years in the future
    }
)

FEEDBACK_PER_CONTACT = 0.03  # chance a crisis contact is followed by feedback
FEEDBACK_ANONYMOUS = 0.35
ROUTINE_PROM_PER_MH_MONTH = 0.12  # months with an MH contact that carry a routine questionnaire
PROM_ITEM_SKIPPED = 0.02  # self-reported items left blank
HONOS_NOT_KNOWN = 0.03  # HoNOS scales the clinician rates 9, not known (HoNOS is never left blank)

# Crisis plans: a fact about a person, held by the MH trust, in force from its start date until it ends (if it
# does). Every MH trust contact in force says Crisis_Plan_Recorded Y, except the rare recording errors (listed in
# messiness.csv as crisis_plan_misrecorded). A plan's start date itself is in no feed.
CRISIS_PLAN_MIN_MH_CONTACTS = 2  # trust plans are held for people with at least this many MH trust contacts
CRISIS_PLAN = MappingProxyType(
    {
        "before_period": 0.30,  # of those people: a plan already in force when the period starts
        "written": 0.20,  # of the rest: a plan written in the month of their second MH trust contact
        "high_intensity_team": 0.90,  # high intensity team clients with no plan in force get one on the step-up date
        "coproduced": 0.40,  # trust plans written with the person
        "coproduced_high_intensity_team": 0.85,  # HIT plans, and plans in force the HIT reviews at step up
        "ends": 0.10,  # trust plans closed during the period (discharged; not renewed at review); HIT plans do not
        "recording_error": 0.02,  # MH trust contacts whose Crisis_Plan_Recorded contradicts the plan's status
    }
)

# Crisis care not provided: a contact that ends without the person being assessed or treated, at this rate of
# contacts (without a crisis plan in force, with one in force). Every one is listed in crisis_care_gaps.csv.
CRISIS_CARE_GAP = MappingProxyType(
    {
        "ed_attendances": (0.10, 0.22),  # left before assessment (LBA) or before treatment completed (LBT)
        "ambulance_calls": (0.03, 0.08),  # call closed without clinical assessment (closed_without_assessment)
        "mh_contacts": (0.03, 0.10),  # crisis assessments (CRISIS_ASSESS) cancelled by the trust (CANC_TR)
    }
)
ED_GAP_LEFT_BEFORE_ASSESSMENT = 0.35  # of ED gaps: LBA; the rest LBT
AMBULANCE_GAP_RESOURCE_ARRIVED = 0.5  # of ambulance gaps: a crew arrived (response time recorded), no patient assessed

# The programme: people whose contacts over the last ENROL_WINDOW months reach ENROL_THRESHOLD are stepped up.
ENROL_WINDOW = 3
ENROL_THRESHOLD = 9
ENROL_FIRST_MONTH = 3  # no step ups before the fourth month, so there is a "before"
ARM_PROBABILITIES = MappingProxyType({"high_intensity_team": 0.45, "street_triage": 0.2, "usual_care": 0.35})
EPISODE_MONTHS = (3, 9)  # managed for this many months (inclusive range) before step down

# True effects: multiplicative on the contact rate from the month after step up; points on questionnaire
# totals (latent shift; the realised effect on the bounded totals is measured and written to effects.csv).
TRUE_RATE_RATIO = MappingProxyType({"high_intensity_team": 0.85, "street_triage": 0.92, "usual_care": 1.0})
TRUE_S136_RATIO = MappingProxyType({"high_intensity_team": 0.8, "street_triage": 0.5, "usual_care": 1.0})
TRUE_WELLBEING_SHIFT = MappingProxyType({"high_intensity_team": 0.35, "street_triage": 0.1, "usual_care": 0.0})

START_DEFAULT = "2024-01"
