"""Outcome questionnaires recorded by the mental health trust, item by item as ticked on the form, with dates.

ReQoL-10, SWEMWBS, CORE-10 and DIALOG are completed by the person; HoNOS is rated by a clinician. The trust's
outcomes system exports one row per item with the response position ticked (numbered as the form numbers its
options), not a score: reversing negatively worded items and totalling are the warehouse's job, by each measure's
published rules (``Measure.scoring``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.feeds.base import Column, DType, FeedSpec, Role


@dataclass(frozen=True)
class Measure:
    """One questionnaire as its form lays it out: items, the numbered response positions, and how it is scored."""

    code: str
    title: str
    items: int
    low: int  # first response position, as the form numbers it
    high: int  # last response position
    positions: tuple[str, ...]  # label of each position, low to high
    higher_is_better: tuple[int, ...]  # items where a higher position is the better state (positively worded)
    scoring: str  # the published scoring rule, for the warehouse and the docs
    item_labels: tuple[str, ...] = ()  # domain of each item, where the measure publishes them (DIALOG, HoNOS)
    item_positions: dict[int, tuple[str, ...]] = field(default_factory=dict)  # items with their own labels
    not_known: int | None = None  # a recorded position meaning "not known" (HoNOS 9), not a rating

    def __post_init__(self) -> None:
        if len(self.positions) != self.high - self.low + 1:
            raise ValueError(f"{self.code}: one label per response position")
        if self.item_labels and len(self.item_labels) != self.items:
            raise ValueError(f"{self.code}: one label per item")

    @property
    def lower_is_better(self) -> tuple[int, ...]:
        """Items where a higher position is the worse state (negatively worded, or problem ratings)."""
        return tuple(k for k in range(1, self.items + 1) if k not in self.higher_is_better)


_FREQUENCY_CORE = ("Not at all", "Only occasionally", "Sometimes", "Often", "Most or all of the time")
_FREQUENCY_REQOL = ("None of the time", "Only occasionally", "Sometimes", "Often", "Most or all of the time")
_PHYSICAL_REQOL = ("No problems", "Slight problems", "Moderate problems", "Severe problems", "Very severe problems")
_FREQUENCY_SWEMWBS = ("None of the time", "Rarely", "Some of the time", "Often", "All of the time")
_SATISFACTION_DIALOG = (
    "Totally dissatisfied",
    "Very dissatisfied",
    "Fairly dissatisfied",
    "In the middle",
    "Fairly satisfied",
    "Very satisfied",
    "Totally satisfied",
)
_SEVERITY_HONOS = (
    "No problem",
    "Minor problem requiring no action",
    "Mild problem but definitely present",
    "Moderately severe problem",
    "Severe to very severe problem",
)

MEASURE_DEFINITIONS: tuple[Measure, ...] = (
    Measure(
        "REQOL10",
        "ReQoL-10: Recovering Quality of Life",
        11,
        0,
        4,
        _FREQUENCY_REQOL,
        higher_is_better=(2, 4, 5, 7, 8, 10),
        item_positions={11: _PHYSICAL_REQOL},
        scoring=(
            "items 1-10: the positively worded items (2, 4, 5, 7, 8, 10) score their position, the negatively "
            "worded items (1, 3, 6, 9) score 4 minus their position; the total is their sum, 0-40, higher is "
            "better; no total if any of items 1-10 is blank. Item 11 (physical health problems, its own scale, "
            "higher is worse) is reported on its own, not in the total"
        ),
    ),
    Measure(
        "SWEMWBS",
        "Short Warwick-Edinburgh Mental Wellbeing Scale",
        7,
        1,
        5,
        _FREQUENCY_SWEMWBS,
        higher_is_better=(1, 2, 3, 4, 5, 6, 7),
        scoring=(
            "all seven items are positively worded: the raw total is the sum of the positions, 7-35, higher is "
            "better; no total if any item is blank (the published metric conversion of the raw total is not applied)"
        ),
    ),
    Measure(
        "CORE10",
        "CORE-10 psychological distress",
        10,
        0,
        4,
        _FREQUENCY_CORE,
        higher_is_better=(2, 3),
        scoring=(
            "items 2 and 3 are positively worded and score 4 minus their position, the others score their "
            "position; the clinical score is the sum, 0-40, higher is more distress; with one item blank it is "
            "prorated (sum x 10 / 9); with two or more blank there is no score"
        ),
    ),
    Measure(
        "DIALOG",
        "DIALOG: satisfaction with life domains and treatment",
        11,
        1,
        7,
        _SATISFACTION_DIALOG,
        higher_is_better=tuple(range(1, 12)),
        item_labels=(
            "Mental health",
            "Physical health",
            "Job situation",
            "Accommodation",
            "Leisure activities",
            "Relationship with partner/family",
            "Friendships",
            "Personal safety",
            "Medication",
            "Practical help received",
            "Meetings with mental health professionals",
        ),
        scoring=(
            "subjective quality of life is the mean of items 1-8 and treatment satisfaction the mean of items 9-11, "
            "each 1-7, higher is better, below 4 is dissatisfied; a mean needs every item of its part answered"
        ),
    ),
    Measure(
        "HONOS",
        "HoNOS: Health of the Nation Outcome Scales, rated by a clinician",
        12,
        0,
        4,
        _SEVERITY_HONOS,
        higher_is_better=(),
        item_labels=(
            "Overactive, aggressive, disruptive or agitated behaviour",
            "Non-accidental self-injury",
            "Problem drinking or drug-taking",
            "Cognitive problems",
            "Physical illness or disability problems",
            "Problems associated with hallucinations and delusions",
            "Problems with depressed mood",
            "Other mental and behavioural problems",
            "Problems with relationships",
            "Problems with activities of daily living",
            "Problems with living conditions",
            "Problems with occupation and activities",
        ),
        not_known=9,
        scoring=(
            "each scale is rated 0-4, higher is worse, or 9 when not known; the total is the sum of the scales "
            "rated 0-4 (9 counts as missing), 0-48, higher is worse; no total if no scale is rated"
        ),
    ),
)
MEASURE_BY_CODE: dict[str, Measure] = {m.code: m for m in MEASURE_DEFINITIONS}

MEASURES: dict[str, str] = {m.code: m.title for m in MEASURE_DEFINITIONS}

# Number of items and the inclusive range of response positions of each measure (HoNOS's 9 "not known" aside).
MEASURE_ITEMS: dict[str, tuple[int, int, int]] = {m.code: (m.items, m.low, m.high) for m in MEASURE_DEFINITIONS}

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


def _measure_notes() -> tuple[str, ...]:
    notes = []
    for m in MEASURE_DEFINITIONS:
        positions = ", ".join(f"{m.low + k} {label}" for k, label in enumerate(m.positions))
        text = f"{m.code} ({m.title}): {m.items} items, positions {positions}"
        for item, labels in m.item_positions.items():
            own = ", ".join(f"{m.low + k} {label}" for k, label in enumerate(labels))
            text += f"; item {item} has its own positions {own}"
        if m.not_known is not None:
            text += f"; {m.not_known} not known"
        if m.item_labels:
            text += "; items " + ", ".join(f"{k} {label}" for k, label in enumerate(m.item_labels, start=1))
        better = ", ".join(map(str, m.higher_is_better)) or "none"
        notes.append(f"{text}. A higher position is the better state on items: {better}. Scoring: {m.scoring}.")
    return tuple(notes)


SPEC = FeedSpec(
    name="mh_outcome_measures",
    agency="County Mental Health NHS Foundation Trust (outcomes system)",
    description=(
        "Outcome questionnaires answered item by item (ReQoL-10, SWEMWBS, CORE-10 and DIALOG by the person, HoNOS "
        "rated by a clinician): the questionnaire instance, its date and timepoint, the item number and the "
        "response position ticked, how it was administered and the patient's identifiers. One row per "
        "questionnaire item."
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
            "Item_Response",
            DType.INTEGER,
            Role.PLAIN,
            "The response position ticked on the form, numbered as the form numbers its options (range depends on "
            "the measure; HoNOS 9 = not known; blank if skipped). Not a score: see the measure's scoring rule.",
            canonical="item_response",
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
        *_measure_notes(),
        "HoNOS is always rated by a clinician (Administration CLIN) and records 9 where a scale is not known; the "
        "self-report measures leave a skipped item blank.",
    ),
)
