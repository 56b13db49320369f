"""Service-user feedback from the county's shared feedback platform: free text and a rating.

Feedback may be anonymous; when it is not, the person leaves a name and a way to reach them, and
they often put names, phone numbers and addresses in the comment itself.
"""

from __future__ import annotations

from pipelines.feeds.base import Column, DType, FeedSpec, Role

SERVICES: dict[str, str] = {
    "POLICE": "Police",
    "AMBULANCE": "Ambulance service",
    "ED": "Emergency department",
    "MH_TRUST": "Mental health trust",
    "COUNCIL": "Council housing or social care",
    "HIT": "High intensity team",
    "STREET_TRIAGE": "Street triage",
}

CHANNELS: dict[str, str] = {
    "WEB": "Online form",
    "SMS": "Text message survey",
    "PAPER": "Paper card, typed up",
    "PHONE": "Telephone, typed up by staff",
}

CODE_LABELS: dict[str, dict[str, str]] = {"Service": SERVICES, "Channel": CHANNELS}

SPEC = FeedSpec(
    name="feedback",
    agency="County Voices feedback platform",
    description=(
        "Feedback left by people who used crisis services: which service it is about, a rating from 1 (very poor) "
        "to 5 (very good), the comment in the person's own words and, unless anonymous, the name and contact "
        "details they chose to give. One row per feedback submission."
    ),
    columns=(
        Column(
            "ResponseId",
            DType.STRING,
            Role.RECORD_ID,
            "Feedback submission identifier.",
            required=True,
            canonical="feedback_id",
        ),
        Column(
            "SubmittedAt",
            DType.DATETIME,
            Role.PLAIN,
            "When the feedback was submitted.",
            required=True,
            canonical="submitted_at",
        ),
        Column(
            "Service",
            DType.CODE,
            Role.PLAIN,
            "Service the feedback is about.",
            required=True,
            codes=tuple(SERVICES),
            canonical="service_code",
        ),
        Column(
            "Channel",
            DType.CODE,
            Role.PLAIN,
            "How the feedback was given.",
            codes=tuple(CHANNELS),
            canonical="channel_code",
        ),
        Column(
            "Rating", DType.INTEGER, Role.PLAIN, "Overall rating, 1 (very poor) to 5 (very good).", canonical="rating"
        ),
        Column(
            "Comment",
            DType.STRING,
            Role.FREE_TEXT,
            "The feedback in the person's own words.",
            canonical="feedback_comment",
        ),
        Column(
            "Anonymous",
            DType.BOOLEAN,
            Role.PLAIN,
            "The person asked to stay anonymous (no name or contact given).",
            canonical="is_anonymous",
        ),
        Column(
            "RespondentName",
            DType.STRING,
            Role.IDENTIFIER,
            "Name the person gave, free-form.",
            person_field="full_name",
            canonical="full_name",
        ),
        Column(
            "RespondentDOB",
            DType.DATE,
            Role.IDENTIFIER,
            "Date of birth, optional.",
            person_field="date_of_birth",
            canonical="date_of_birth",
        ),
        Column(
            "ContactEmail",
            DType.STRING,
            Role.IDENTIFIER,
            "Email for a reply, optional.",
            person_field="email",
            canonical="email",
        ),
        Column(
            "ContactPhone",
            DType.STRING,
            Role.IDENTIFIER,
            "Phone for a reply, optional.",
            person_field="phone",
            canonical="phone",
        ),
        Column(
            "Postcode",
            DType.STRING,
            Role.IDENTIFIER,
            "Home postcode, optional.",
            person_field="postcode",
            canonical="postcode",
        ),
    ),
    record_id="ResponseId",
    event_at="SubmittedAt",
    file_pattern="feedback_export_*.csv",
    delimiter=",",
    encoding="utf-8",
    date_formats=("%Y-%m-%d",),
    datetime_formats=("%Y-%m-%dT%H:%M:%SZ",),
    true_values=("true",),
    false_values=("false",),
    has_control_totals=False,
    notes=(
        "File per month: feedback_export_YYYY-MM.csv; timestamps in UTC with a trailing Z.",
        "Comments can contain commas, quotes and line breaks (quoted CSV fields) and non-ASCII characters.",
        "Anonymous submissions have no name or contact columns, but the comment may still name people.",
    ),
)
