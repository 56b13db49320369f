"""Names and defaults of the evaluation (the contract shared by the SQL models and the Python estimators)."""

from __future__ import annotations

INTERVENTIONS: tuple[str, ...] = ("high_intensity_team", "street_triage", "usual_care")

# contact and safety counts per person-month (measure rate_ratio); crisis_contacts = ALL contacts with the five agencies
COUNT_OUTCOMES: tuple[str, ...] = (
    "crisis_contacts",
    "police_contacts",
    "ambulance_contacts",
    "emergency_department_contacts",
    "mental_health_trust_contacts",
    "council_contacts",
    "s136_detentions",
)
# questionnaire totals (measure mean_difference, points on the published total)
SCORE_OUTCOMES: tuple[str, ...] = (
    "reqol10_total",
    "swemwbs_total",
    "core10_total",
    "dialog_quality_of_life_mean",
    "dialog_treatment_satisfaction_mean",
    "honos_total",
)
LINKAGES: tuple[str, ...] = ("standard", "strict", "lenient")
HEADLINE_LINKAGE = "standard"
WINDOWS: tuple[int, ...] = (3, 6, 12)

# the columns of evaluation.estimates, in order (the person-level designs and the area designs write the same)
ESTIMATE_COLUMNS: list[str] = [
    "linkage",
    "intervention",
    "outcome",
    "window_months",
    "method",
    "subgroup",
    "estimate",
    "ci_low",
    "ci_high",
    "measure",
    "n_treated",
    "n_comparison",
    "treated_change",
    "comparison_change",
    "p_value",
    "mde",
    "small_n",
    "note",
]

METHOD_NAIVE = "naive_before_after"
METHOD_DID = "did_matched"

# subgroups: estimated only where n_treated >= MIN_SUBGROUP_TREATED and both groups exceed the disclosure threshold
SUBGROUP_DIMENSIONS: tuple[str, ...] = (
    "sex",
    "age_group",
    "imd_quintile",
    "ethnicity_group",
    "has_disability",
    "is_neurodivergent",
)
MIN_SUBGROUP_TREATED = 30
SMALL_N = 50  # an estimate on fewer treated people is flagged small_n

# matching
MIN_PRE_MONTHS = 3  # a treated episode needs index month s >= 3 (three observed months before it)
NEIGHBOURS = 3  # k comparisons per treated episode, with replacement
CALIPER = 5.0  # on the Mahalanobis distance (pooled within-group covariance of treated and pool)
MATCH_VARIABLES: tuple[str, ...] = (
    "log_contacts_m1",
    "log_contacts_m2",
    "log_contacts_m3",
    "mean_contacts_m12_m4",
    "police_share_m3",
)
# exact cells: the index month, sex, IMD quintile, coarse age group and the band of contacts in s-3..s-1
# (RECENT_BANDS lower bounds: 1-5, 6-8, 9-11, 12-14, 15+), the programme's own eligibility measure (9 in three
# months). Referral rises with that total, so without the band the matched comparisons sit lower in it than the
# treated, regress less, and the estimate leans towards benefit (measured in matching.py's docstring).
EXACT_VARIABLES: tuple[str, ...] = ("index_month_index", "sex", "imd_quintile", "age_group", "recent_contacts_band")
RECENT_BANDS: tuple[int, ...] = (1, 6, 9, 12, 15)
MISSING_LEVEL = "not_known"

# 80% power, 5% two-sided: the minimum detectable effect is (z_0.975 + z_0.8) x SE = 2.8 SE
MDE_MULTIPLIER = 2.8


def age_group(age_band: object) -> str:
    """Coarse age group of a warehouse age band ('16-17', '18-24', ..., '75+'): 16-24, 25-44, 45-64, 65+."""
    if not isinstance(age_band, str) or not age_band[:2].isdigit():
        return MISSING_LEVEL
    low = int(age_band[:2])
    if low < 25:
        return "16-24"
    if low < 45:
        return "25-44"
    if low < 65:
        return "45-64"
    return "65+"


def age_band(age: int) -> str:
    """The warehouse's age band of an age in years."""
    if age < 18:
        return "16-17"
    if age < 25:
        return "18-24"
    if age >= 75:
        return "75+"
    low = (age // 10) * 10 + (5 if age % 10 >= 5 else -5)
    return f"{low}-{low + 9}"


def disclosure_threshold() -> int:
    """HFC_DISCLOSURE_THRESHOLD (default 7), read and checked by pipelines.settings."""
    from pipelines.settings import disclosure_threshold as threshold

    return threshold()
