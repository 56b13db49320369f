"""Settings read from the environment: zone paths, the pseudonymisation key, thresholds.

Every setting has a safe default for the synthetic demo; production mode (``HFC_MODE=production``)
refuses the demo defaults that would be unsafe on real records. ``.env.example`` lists them all.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

FEEDS: tuple[str, ...] = (
    "police_incidents",
    "ambulance_calls",
    "ed_attendances",
    "mh_contacts",
    "mh_outcome_measures",
    "feedback",
    "council_contacts",
    "programme_caseload",
)


@dataclass(frozen=True)
class Zones:
    """Where data rests. Identifiable zones and de-identified zones never share a folder."""

    root: Path

    # identifiable
    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def identity(self) -> Path:
        return self.root / "identity"

    @property
    def synth_truth(self) -> Path:
        """The synthetic county's ground truth: planted identifiers, so treated as identifiable."""
        return self.root / "synth_truth"

    # de-identified
    @property
    def pseudonymised(self) -> Path:
        return self.root / "pseudonymised"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def restricted(self) -> Path:
        """De-identified free text and the full warehouse build that holds it: not identifiable, but restricted
        (places, rare events and relatives' roles survive de-identification). Never published by default."""
        return self.root / "restricted"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster"

    @property
    def reference(self) -> Path:
        """Non-identifying reference tables (LSOA -> IMD decile) delivered beside the feeds."""
        return self.landing / "reference"

    def identifiable(self) -> tuple[Path, ...]:
        return (self.landing, self.quarantine, self.identity, self.synth_truth)


def data_dir() -> Path:
    return Path(os.environ.get("HFC_DATA_DIR", REPO_ROOT / "data")).resolve()


def zones() -> Zones:
    return Zones(data_dir())


def warehouse_path() -> Path:
    return Path(os.environ.get("HFC_WAREHOUSE_PATH", REPO_ROOT / "warehouse" / "outcomes.duckdb")).resolve()


def restricted_warehouse_path() -> Path:
    """The full build, with the ``restricted`` schema (de-identified free text): kept in the restricted zone."""
    default = data_dir() / "restricted" / "outcomes_full.duckdb"
    return Path(os.environ.get("HFC_RESTRICTED_WAREHOUSE_PATH", default)).resolve()


def release_dir() -> Path:
    """Where the pipeline writes its checked release of the dash tables (``hfc release``)."""
    return Path(os.environ.get("HFC_RELEASE_DIR", data_dir() / "release")).resolve()


def restricted_publish_path() -> Path | None:
    """Where to publish the ``restricted`` schema on its own, for the few who should have it; unset: nowhere."""
    value = os.environ.get("HFC_PUBLISH_RESTRICTED_TO", "").strip()
    return Path(value).resolve() if value else None


def mode() -> str:
    """``demo`` (default) or ``production``."""
    value = os.environ.get("HFC_MODE", "demo").strip().lower()
    if value not in {"demo", "production"}:
        raise ValueError("HFC_MODE must be 'demo' or 'production'")
    return value


MIN_DISCLOSURE_THRESHOLD = 7
MIN_DISCLOSURE_ROUNDING_BASE = 5


def _whole_number(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number (disclosure control cannot be switched off)") from None


def disclosure_threshold() -> int:
    """Counts from 1 to this value are suppressed in the dash_* marts. Default 7 (NHS England's rule for HES,
    OpenSAFELY's default); it can be raised (under 10: ONS, UK LLC) but never lowered or switched off."""
    value = _whole_number("HFC_DISCLOSURE_THRESHOLD", MIN_DISCLOSURE_THRESHOLD)
    if value < MIN_DISCLOSURE_THRESHOLD:
        raise ValueError(
            f"HFC_DISCLOSURE_THRESHOLD must be {MIN_DISCLOSURE_THRESHOLD} or more: it can make suppression "
            "stricter, never weaker or off"
        )
    return value


def disclosure_rounding_base() -> int:
    """Every published count above the threshold is rounded to the nearest multiple of this. Default 5; it can be
    raised, never lowered, and may not be so large that a count just above the threshold would round to 0."""
    value = _whole_number("HFC_DISCLOSURE_ROUNDING_BASE", MIN_DISCLOSURE_ROUNDING_BASE)
    if value < MIN_DISCLOSURE_ROUNDING_BASE:
        raise ValueError(
            f"HFC_DISCLOSURE_ROUNDING_BASE must be {MIN_DISCLOSURE_ROUNDING_BASE} or more: it can make rounding "
            "coarser, never finer or off"
        )
    if value > 2 * (disclosure_threshold() + 1):
        raise ValueError(
            "HFC_DISCLOSURE_ROUNDING_BASE must be at most twice one more than HFC_DISCLOSURE_THRESHOLD, or a "
            "count just above the threshold would be published as 0"
        )
    return value


MIN_EXTRACT_K = 5


def extract_min_k() -> int:
    """The smallest equivalence class a person-level extract may have on its quasi-identifiers (k-anonymity).
    Default 5; it can be raised, never lowered below 5 or switched off (docs/disclosure.md)."""
    value = _whole_number("HFC_EXTRACT_MIN_K", MIN_EXTRACT_K)
    if value < MIN_EXTRACT_K:
        raise ValueError(
            f"HFC_EXTRACT_MIN_K must be {MIN_EXTRACT_K} or more: it can make an extract's k-anonymity stricter, "
            "never weaker or off"
        )
    return value


def control_total_shortfall() -> str:
    """What a delivery with fewer rows than its agency's control total gets: ``block`` (default: held whole, a
    blocking check fails) or ``warn`` (loaded, a warning check fails)."""
    value = os.environ.get("HFC_CONTROL_TOTAL_SHORTFALL", "block").strip().lower() or "block"
    if value not in {"block", "warn"}:
        raise ValueError("HFC_CONTROL_TOTAL_SHORTFALL must be 'block' or 'warn'")
    return value


def date_hold_rate() -> float:
    """Share of a date column's values failing to parse (or of event dates far from the period) that holds a
    delivery whole as a change of format, not bad rows. Default 0.10."""
    value = float(os.environ.get("HFC_DATE_HOLD_RATE", "") or 0.10)
    if not 0 < value <= 1:
        raise ValueError("HFC_DATE_HOLD_RATE must be a share between 0 (exclusive) and 1")
    return value


def event_date_window_months() -> int:
    """Calendar months an event date may be from its delivery's period before its row is quarantined. Default 3."""
    value = int(os.environ.get("HFC_EVENT_DATE_WINDOW_MONTHS", "") or 3)
    if value < 0:
        raise ValueError("HFC_EVENT_DATE_WINDOW_MONTHS must be 0 or more")
    return value


@dataclass(frozen=True)
class RetrySettings:
    """How a step that failed for a transient reason (a DuckDB file locked by another process, EAGAIN or EBUSY) is
    retried: ``max_retries`` more attempts, waiting ``delay_seconds`` grown by ``backoff`` and spread by ``jitter``."""

    max_retries: int = 3
    delay_seconds: float = 5.0
    backoff: str = "exponential"  # exponential | linear | none
    jitter: str = "plus_minus"  # plus_minus | full | none


MAX_RETRIES_CEILING = 10
MAX_RETRY_DELAY_SECONDS = 600.0
BACKOFFS = ("exponential", "linear", "none")
JITTERS = ("plus_minus", "full", "none")


def retry_settings() -> RetrySettings:
    """``HFC_RETRY_MAX`` (default 3, 0 switches retries off, at most 10), ``HFC_RETRY_DELAY_SECONDS`` (default 5, at
    most 600), ``HFC_RETRY_BACKOFF`` (exponential, linear or none; default exponential) and ``HFC_RETRY_JITTER``
    (plus_minus, full or none; default plus_minus). Read when a step fails, so a change needs no restart."""
    default = RetrySettings()
    retries = _whole_number("HFC_RETRY_MAX", default.max_retries)
    if not 0 <= retries <= MAX_RETRIES_CEILING:
        raise ValueError(f"HFC_RETRY_MAX must be between 0 and {MAX_RETRIES_CEILING}")
    raw = os.environ.get("HFC_RETRY_DELAY_SECONDS", "").strip()
    try:
        delay = float(raw) if raw else default.delay_seconds
    except ValueError:
        raise ValueError("HFC_RETRY_DELAY_SECONDS must be a number of seconds") from None
    if not 0 <= delay <= MAX_RETRY_DELAY_SECONDS:
        raise ValueError(f"HFC_RETRY_DELAY_SECONDS must be between 0 and {MAX_RETRY_DELAY_SECONDS:g}")
    backoff = os.environ.get("HFC_RETRY_BACKOFF", "").strip().lower() or default.backoff
    if backoff not in BACKOFFS:
        raise ValueError(f"HFC_RETRY_BACKOFF must be one of {', '.join(BACKOFFS)}")
    jitter = os.environ.get("HFC_RETRY_JITTER", "").strip().lower() or default.jitter
    if jitter not in JITTERS:
        raise ValueError(f"HFC_RETRY_JITTER must be one of {', '.join(JITTERS)}")
    return RetrySettings(retries, delay, backoff, jitter)


@dataclass(frozen=True)
class AlertSettings:
    """Where run-failure alerts go besides the log: a JSON-lines file, a webhook (POST of the alert as JSON)."""

    file: Path | None = None
    webhook_url: str | None = None
    webhook_timeout_seconds: float = 5.0


def alert_settings() -> AlertSettings:
    """``HFC_ALERT_FILE`` (append one JSON line per alert; unset: none), ``HFC_ALERT_WEBHOOK_URL`` (http or https
    only; unset: none) and ``HFC_ALERT_WEBHOOK_TIMEOUT_SECONDS`` (default 5, at most 60)."""
    file = os.environ.get("HFC_ALERT_FILE", "").strip()
    url = os.environ.get("HFC_ALERT_WEBHOOK_URL", "").strip()
    if url and not url.lower().startswith(("http://", "https://")):
        raise ValueError("HFC_ALERT_WEBHOOK_URL must be an http:// or https:// address")
    raw = os.environ.get("HFC_ALERT_WEBHOOK_TIMEOUT_SECONDS", "").strip()
    try:
        timeout = float(raw) if raw else AlertSettings.webhook_timeout_seconds
    except ValueError:
        raise ValueError("HFC_ALERT_WEBHOOK_TIMEOUT_SECONDS must be a number of seconds") from None
    if not 0 < timeout <= 60:
        raise ValueError("HFC_ALERT_WEBHOOK_TIMEOUT_SECONDS must be more than 0 and at most 60")
    return AlertSettings(Path(file).resolve() if file else None, url or None, timeout)
