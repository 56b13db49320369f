"""The true effects of the interventions (``hfc synth --effects``): read, validated and held as arrays.

A file is JSON: ``{intervention: {outcome: value}}`` with the names ``effects.csv`` uses. Contact outcomes and
``s136_detentions`` are rate ratios (positive) on the agency's contact rate and on the S136 rate from the month
after step up; ``crisis_contacts`` is shorthand for the five agencies' ratios at once (an agency named beside it
wins); ``wellbeing_shift`` moves the latent wellbeing behind every questionnaire after step up. A missing
intervention or outcome has no effect (ratio 1, shift 0).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipelines.synth import config
from pipelines.synth.population import ARMS, CRISIS_AGENCIES

# effects.csv contact outcome -> the agency feed whose contact rate it multiplies
CONTACT_OUTCOMES: dict[str, str] = {
    "police_contacts": "police_incidents",
    "ambulance_contacts": "ambulance_calls",
    "emergency_department_contacts": "ed_attendances",
    "mental_health_trust_contacts": "mh_contacts",
    "council_contacts": "council_contacts",
}
OUTCOME_OF_AGENCY = {agency: outcome for outcome, agency in CONTACT_OUTCOMES.items()}
SETTABLE = ("crisis_contacts", *CONTACT_OUTCOMES, "s136_detentions", "wellbeing_shift")
SCORE_OUTCOMES = (
    "reqol10_total",
    "swemwbs_total",
    "core10_total",
    "dialog_quality_of_life_mean",
    "dialog_treatment_satisfaction_mean",
    "honos_total",
)


class EffectsError(ValueError):
    """An effects file that cannot be used: the message names the key and the rule, and how to fix it."""


@dataclass(frozen=True)
class TrueEffects:
    """Per intervention (index into ``ARMS``): agency rate ratios, the S136 rate ratio and the wellbeing shift."""

    rate_ratio: np.ndarray  # (arms, agencies), agencies in CRISIS_AGENCIES order
    s136_ratio: np.ndarray  # (arms,)
    wellbeing_shift: np.ndarray  # (arms,)
    source: str = "default"

    def s136_incident_multiplier(self, arm: str) -> float:
        """Multiplier on a police MH incident's chance of closing S136: the S136 ratio over the police ratio."""
        a = ARMS.index(arm)
        return float(self.s136_ratio[a] / self.rate_ratio[a, CRISIS_AGENCIES.index("police_incidents")])

    def shift(self, arm: str | None) -> float:
        return 0.0 if arm is None else float(self.wellbeing_shift[ARMS.index(arm)])

    def as_dict(self) -> dict[str, dict[str, float]]:
        """The effects in the file format, every key spelt out."""
        out: dict[str, dict[str, float]] = {}
        for a, arm in enumerate(ARMS):
            row = {OUTCOME_OF_AGENCY[ag]: float(self.rate_ratio[a, k]) for k, ag in enumerate(CRISIS_AGENCIES)}
            row["s136_detentions"] = float(self.s136_ratio[a])
            row["wellbeing_shift"] = float(self.wellbeing_shift[a])
            out[arm] = row
        return out


def no_effects() -> TrueEffects:
    """No intervention has any effect."""
    return from_mapping({}, source="none")


def load_effects(spec: str | Path | Mapping | None) -> TrueEffects:
    """``None``: the default (``config.DEFAULT_EFFECTS``); ``"none"``: no effect; a mapping; or a JSON file's path."""
    if spec is None:
        return from_mapping(config.DEFAULT_EFFECTS, source="default")
    if isinstance(spec, Mapping):
        return from_mapping(spec, source="given")
    if str(spec) == "none":
        return no_effects()
    path = Path(spec)
    if not path.is_file():
        raise EffectsError(f"effects file not found: {path} (give a JSON file, or 'none' for no effect)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise EffectsError(f"effects file {path.name} is not valid JSON: {exc}") from None
    return from_mapping(data, source=path.name)


def from_mapping(data: object, source: str = "given") -> TrueEffects:
    """Validate ``{intervention: {outcome: value}}`` and fill the defaults (ratio 1, shift 0)."""
    if not isinstance(data, Mapping):
        raise EffectsError('effects must be a JSON object {"intervention": {"outcome": value}}')
    rate = np.ones((len(ARMS), len(CRISIS_AGENCIES)))
    s136 = np.ones(len(ARMS))
    shift = np.zeros(len(ARMS))
    for arm, outcomes in data.items():
        if arm not in ARMS:
            raise EffectsError(f"unknown intervention {arm!r} in effects: expected one of {', '.join(ARMS)}")
        if not isinstance(outcomes, Mapping):
            raise EffectsError(f"effects for {arm} must be an object of outcome: value")
        a = ARMS.index(arm)
        for outcome, value in outcomes.items():
            if outcome in SCORE_OUTCOMES:
                raise EffectsError(
                    f"{arm}.{outcome}: score outcomes follow from wellbeing_shift (the latent shift), set that instead"
                )
            if outcome not in SETTABLE:
                raise EffectsError(f"unknown outcome {outcome!r} for {arm}: expected one of {', '.join(SETTABLE)}")
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise EffectsError(f"{arm}.{outcome} must be a finite number")
            if outcome == "wellbeing_shift":
                if abs(value) > 3:
                    raise EffectsError(f"{arm}.wellbeing_shift must be within -3 and 3 (latent standard units)")
                shift[a] = float(value)
                continue
            if value <= 0:
                raise EffectsError(f"{arm}.{outcome} is a rate ratio and must be positive (1 = no effect)")
            if value > 10:
                raise EffectsError(f"{arm}.{outcome} must be at most 10")
            if outcome == "crisis_contacts":
                for k, agency in enumerate(CRISIS_AGENCIES):
                    if OUTCOME_OF_AGENCY[agency] not in outcomes:
                        rate[a, k] = float(value)
            elif outcome == "s136_detentions":
                s136[a] = float(value)
            else:
                rate[a, CRISIS_AGENCIES.index(CONTACT_OUTCOMES[outcome])] = float(value)
    police = CRISIS_AGENCIES.index("police_incidents")
    ceiling = (1 - config.MH_SIGNAL_ABSENT["police_incidents"]) / config.S136_PER_MH_INCIDENT
    for a, arm in enumerate(ARMS):
        if s136[a] / rate[a, police] > ceiling:
            raise EffectsError(
                f"{arm}: s136_detentions / police_contacts must be at most {ceiling:.1f} (the S136 chance of a "
                "police mental-health incident would exceed 1)"
            )
    return TrueEffects(rate, s136, shift, source)
