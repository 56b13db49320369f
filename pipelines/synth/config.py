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

# Mental-health content of police, ambulance and ED records, against the truth of each (synth_truth/mh_signals.csv).
# Codes that say a record is mental-health related, per feed: column -> codes.
MH_CODE_SIGNALS = MappingProxyType(
    {
        "police_incidents": MappingProxyType(
            {"OPENING_CODE": ("SUIC",), "CLOSING_CODE": ("S136", "MH_REFERRAL"), "MH_FLAG": ("Y",)}
        ),
        "ambulance_calls": MappingProxyType(
            {"ChiefComplaint": ("PSYCH", "OVERDOSE", "SELF_HARM"), "MHRelated": ("Yes",), "DestinationCode": ("RX201",)}
        ),
        "ed_attendances": MappingProxyType(
            {
                "EC_Chief_Complaint": ("248062006", "6471006", "1149222004", "25786006", "48694002"),
                "Liaison_Psychiatry_Referral": ("Y",),
                "EC_Discharge_Destination": ("MH_UNIT",),
            }
        ),
    }
)
# Truly mental-health-related records that carry no signal at all, neither in codes nor in the narrative: the
# ceiling any classifier meets. Their codes are drawn from the non-signal codes, so the agencies' own tag rates
# (MH_FLAG, MHRelated above) and the liaison referral rate hold over all MH records as documented.
MH_SIGNAL_ABSENT = MappingProxyType({"police_incidents": 0.03, "ambulance_calls": 0.025, "ed_attendances": 0.03})
# Of the other MH records, the share whose narrative carries a cue (always, when their codes carry no signal);
# a narrative with a cue has a second one this often.
MH_TEXT_CUE = MappingProxyType({"police_incidents": 0.85, "ambulance_calls": 0.9, "ed_attendances": 0.88})
MH_TEXT_SECOND_CUE = 0.3
# Non-MH records whose narrative carries a confounder, and the share of those that are negations
# ("no MH concerns"); the rest use the words in another sense ("jumped the fence", "cost of living crisis").
MH_CONFOUNDER = MappingProxyType({"police_incidents": 0.07, "ambulance_calls": 0.06, "ed_attendances": 0.06})
MH_CONFOUNDER_NEGATED = 0.6

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
# Feedback themes (synth_truth/feedback_themes.csv). A comment carries 0-3 themes; each is drawn in turn, without
# replacement, with weight = base (per theme and polarity) x rating multiplier (by polarity) x service multiplier
# x the high intensity team multiplier (people under the team, whatever service the comment is about).
FEEDBACK_THEME_COUNT = MappingProxyType({0: 0.2, 1: 0.42, 2: 0.27, 3: 0.11})
FEEDBACK_THEME_BASE = MappingProxyType(
    {
        "waiting": MappingProxyType({"negative": 1.0}),
        "kindness_and_respect": MappingProxyType({"positive": 1.0}),
        "dismissed_or_judged": MappingProxyType({"negative": 0.8}),
        "listened_to_and_involved": MappingProxyType({"positive": 0.7}),
        "access_in_crisis": MappingProxyType({"negative": 0.6}),
        "continuity": MappingProxyType({"positive": 0.25, "negative": 0.3}),
        "police_and_restraint": MappingProxyType({"negative": 0.3, "positive": 0.05}),
        "follow_up": MappingProxyType({"positive": 0.2, "negative": 0.35}),
        "environment": MappingProxyType({"negative": 0.35, "positive": 0.08}),
        "practical_help": MappingProxyType({"positive": 0.15, "negative": 0.15}),
    }
)
FEEDBACK_THEME_RATING = MappingProxyType(
    {
        "positive": MappingProxyType({1: 0.15, 2: 0.4, 3: 1.0, 4: 1.8, 5: 2.4}),
        "negative": MappingProxyType({1: 2.4, 2: 1.8, 3: 1.0, 4: 0.4, 5: 0.15}),
    }
)
FEEDBACK_THEME_SERVICE = MappingProxyType(
    {
        "POLICE": MappingProxyType(
            {"police_and_restraint": 5.0, "environment": 1.3, "waiting": 0.8, "continuity": 0.5, "practical_help": 0.4}
        ),
        "STREET_TRIAGE": MappingProxyType(
            {"police_and_restraint": 3.0, "listened_to_and_involved": 1.3, "kindness_and_respect": 1.3}
        ),
        "AMBULANCE": MappingProxyType(
            {"waiting": 2.0, "kindness_and_respect": 1.4, "police_and_restraint": 0.6, "continuity": 0.4}
        ),
        "ED": MappingProxyType(
            {"waiting": 2.5, "environment": 2.5, "dismissed_or_judged": 1.4, "police_and_restraint": 0.6}
        ),
        "MH_TRUST": MappingProxyType(
            {"access_in_crisis": 2.0, "continuity": 1.6, "follow_up": 1.8, "listened_to_and_involved": 1.2}
        ),
        "COUNCIL": MappingProxyType(
            {"practical_help": 5.0, "waiting": 1.3, "continuity": 1.2, "police_and_restraint": 0.1}
        ),
        "HIT": MappingProxyType(
            {"continuity": 2.5, "listened_to_and_involved": 2.0, "practical_help": 2.0, "follow_up": 1.5}
        ),
    }
)
FEEDBACK_THEME_HIT = MappingProxyType({"continuity": 1.8, "listened_to_and_involved": 1.6})
FEEDBACK_DECOY = 0.18  # comments with one planted negation or near miss of a theme they do not carry

# Equality columns, as services record them: one value per person and service (every contact of a person
# carries the same), from the person's truth with recording gaps and errors.
ETHNICITY_RECORDING = MappingProxyType(
    {
        "mh_contacts": MappingProxyType({"not_stated": 0.06, "not_known": 0.04, "wrong": 0.03}),
        "council_contacts": MappingProxyType({"not_stated": 0.04, "not_known": 0.1, "wrong": 0.04}),
    }
)
ED_ETHNICITY_NOT_STATED = 0.08  # ED records ethnicity per attendance: Z (not stated) on this share
ED_ETHNICITY_NOT_KNOWN = 0.04  # and 99 (not known) on this one
ETHNICITY_WRONG_SAME_GROUP = 0.7  # a wrong code is within the person's ONS 2021 group this often
# blank: not recorded; missed: a true Y recorded N; false: a true N recorded Y
DISABILITY_RECORDING = MappingProxyType(
    {
        "mh_contacts": MappingProxyType({"blank": 0.3, "missed": 0.15, "false": 0.02}),
        "council_contacts": MappingProxyType({"blank": 0.2, "missed": 0.1, "false": 0.03}),
    }
)
NEURODIVERGENCE_RECORDING = MappingProxyType(
    {"mh_contacts": MappingProxyType({"blank": 0.4, "missed": 0.2, "false": 0.01})}
)
# Adult social care's primary support reason, from the person's truth: learning disability for this share of
# neurodivergent people; else by disability and age; blank on carer-support contacts and this often otherwise.
PRIMARY_SUPPORT_REASON_LD = 0.45
PRIMARY_SUPPORT_REASON = MappingProxyType(
    {
        "disabled_65_plus": MappingProxyType({"PHYS": 0.45, "MEM_COG": 0.3, "SENS": 0.15, "MH": 0.1}),
        "disabled_under_65": MappingProxyType({"PHYS": 0.45, "SENS": 0.15, "MH": 0.4}),
        "not_disabled": MappingProxyType({"MH": 0.75, "SOC_SUPPORT": 0.25}),
    }
)
PRIMARY_SUPPORT_REASON_BLANK = 0.1

# The programme. Each month, people not yet enrolled whose recorded contacts over the last ENROL_WINDOW months reach
# ENROL_THRESHOLD are eligible; some of them are referred (pipelines.synth.enrolment) and stepped up the next month.
ENROL_WINDOW = 3
ENROL_THRESHOLD = 9
ENROL_FIRST_MONTH = 3  # no step ups before the fourth month, so there is a "before"
EPISODE_MONTHS = (3, 9)  # managed for this many months (inclusive range) before step down

# Localities: the county's LSOAs in N_LOCALITIES programme areas LOC1.. (consecutive districts of the postcode area).
N_LOCALITIES = 5
# Staggered adoption of the high intensity team: the go-live month of each locality is this fraction of the period
# (never before ENROL_FIRST_MONTH; None: not live in the period), fractions given to localities in a seeded order.
# Street triage and usual care are county-wide from ENROL_FIRST_MONTH.
TEAM_ROLLOUT_FRACTIONS: tuple[float | None, ...] = (0.125, 0.25, 0.4, 0.55, None)
# Capacity: open episodes the team holds per live locality, and street triage county-wide, per 1,000 people in the
# county, with a floor (a team smaller than that is not a team). A referral to a full service goes to usual care or
# is not enrolled.
TEAM_CAPACITY_PER_1000 = 0.8  # per live locality
TEAM_CAPACITY_MIN = 5
TRIAGE_CAPACITY_PER_1000 = 1.5  # county-wide
TRIAGE_CAPACITY_MIN = 8
FALLBACK_TO_USUAL_CARE = 0.5  # a referral the team or triage cannot take (not live, full) goes to usual care

# Referral, from what services record: P(referred this month | eligible) = logistic(intercept + per_contact x
# (recorded contacts above the threshold, at most 10) + age, sex and deprivation terms). People just below the
# threshold are referred at a flat monthly rate. See pipelines.synth.enrolment.referral_probability.
REFERRAL = MappingProxyType(
    {
        "intercept": -1.6,
        "per_contact_above": 0.22,
        "age_under_25": 0.3,
        "age_65_plus": -0.6,
        "female": 0.15,
        "per_imd_decile_more_deprived": -0.05,  # the inverse care law: deprived areas refer a little less
    }
)
REFERRAL_BELOW_THRESHOLD = 0.02  # monthly, for people with REFERRAL_BELOW_MIN..threshold-1 recorded contacts
REFERRAL_BELOW_MIN = 6
# Where a referral goes: street triage with P = logistic(triage_intercept + triage_per_police_share x share of the
# recorded contacts that were police); otherwise the team with P = logistic(team_intercept (+ team_age_65_plus)),
# else usual care.
SERVICE_CHOICE = MappingProxyType(
    {
        "triage_intercept": -2.4,
        "triage_per_police_share": 3.8,
        "team_intercept": 2.0,
        "team_age_65_plus": -0.8,
    }
)

# Scores for the comparison pool: a person not (yet) enrolled whose recorded contacts over the last three months
# reach the threshold, with an MH trust contact in that window, gets, this often, a crisis-team assessment (every
# measure, ROUTINE) the next month, at most one in any POOL_ASSESSMENT_GAP months, and a review set (every measure,
# ROUTINE) as many months later as an enrolled person's follow-up (episode + 1).
POOL_ASSESSMENT = 0.8
POOL_ASSESSMENT_GAP = 2

# True effects, the default of `hfc synth --effects`: per intervention, rate ratios on each agency's contact rate and
# on the S136 rate from the month after step up, and the latent wellbeing shift that moves every questionnaire after
# it. Names as in effects.csv; a missing key is no effect (ratio 1, shift 0). pipelines.synth.effects reads files.
DEFAULT_EFFECTS: dict[str, dict[str, float]] = {
    "high_intensity_team": {
        "police_contacts": 0.8,
        "ambulance_contacts": 0.85,
        "emergency_department_contacts": 0.85,
        "mental_health_trust_contacts": 0.95,
        "council_contacts": 0.9,
        "s136_detentions": 0.65,
        "wellbeing_shift": 0.35,
    },
    "street_triage": {
        "police_contacts": 0.82,
        "ambulance_contacts": 0.92,
        "emergency_department_contacts": 0.95,
        "s136_detentions": 0.5,
        "wellbeing_shift": 0.1,
    },
    "usual_care": {},
}
S136_PER_MH_INCIDENT = 0.12  # police MH incidents closed S136, before any effect

START_DEFAULT = "2024-01"
