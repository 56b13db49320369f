"""Linkage settings: decision thresholds and the knobs that keep training and blocking bounded.

Thresholds are match probabilities from the Splink model. Pairs at or above ``match_threshold`` are linked; pairs
between ``review_threshold`` and ``match_threshold`` go to clerical review. Both can be overridden from the
environment (``HFC_LINK_MATCH_THRESHOLD``, ``HFC_LINK_REVIEW_THRESHOLD``) so an operator can tighten them without a
code change.

Two alternative linkages are clustered beside the standard one, so an evaluation can show how linkage error moves
its estimate (``pipelines.linkage.spine.alternative_person_ids``): a strict one that keeps only links scored at or
above ``strict_threshold`` (``HFC_LINK_STRICT_THRESHOLD``, default 0.99: fewer false links, more people split), and
a lenient one that adds the clerical-review pairs scored at or above ``lenient_threshold``
(``HFC_LINK_LENIENT_THRESHOLD``, default 0.55: fewer missed links, more people merged). Why these values: Splink's
probabilities are bimodal, so at 0.9 the strict linkage was almost the standard one (20,000 generated records, 6,692
true people: 6,792 people against 6,783, pairwise precision unchanged at 0.9992); at 0.99 it is a real contrast
(6,929 people, precision 0.9997, recall 0.9815 against 0.9931). The lenient 0.55 sits just above 0.5, where the model
caps pairs that look like relatives (twins): at 0.55, 6,756 people, precision 0.9981, recall 0.9949; at 0.5 every
capped pair of relatives would join too (precision 0.9967). They must satisfy
``review_threshold <= lenient_threshold <= match_threshold <= strict_threshold``: the lenient linkage reads the
review pairs, which are kept only from ``review_threshold`` up.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number") from exc


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer") from exc


@dataclass(frozen=True)
class LinkageSettings:
    """Everything that decides how records are linked; one object, so a run can record what it used."""

    match_threshold: float = 0.7
    review_threshold: float = 0.3
    # Alternative linkages for sensitivity analyses (the standard person is unchanged by them).
    strict_threshold: float = 0.99
    lenient_threshold: float = 0.55
    # Blocking keys shared by more than this many records are not used to generate pairs (a placeholder date of
    # birth or a shared hostel postcode would otherwise make one block of millions of pairs).
    max_block_size: int = 400
    # Training: u from random pairs, m by EM on blocked pairs, each bounded so training cost does not grow with n^2.
    u_max_pairs: float = 2e6
    em_max_pairs: float = 2e6
    min_records_for_training: int = 500
    seed: int = 20240611
    # Scored pairs kept for clerical review and probability-based quality estimates.
    keep_pairs_above: float = 0.01
    # DuckDB threads (None: DuckDB's default, all cores).
    threads: int | None = None
    # DuckDB's memory for scoring (its default is 80% of the machine: the demo county's linkage reached 13.7 GB);
    # above it DuckDB spills to a folder in the identity zone (the pairs are identifiable), removed afterwards.
    memory_limit: str = "4GB"

    def __post_init__(self) -> None:
        if not 0.0 < self.review_threshold <= self.match_threshold <= 1.0:
            raise ValueError("linkage thresholds must satisfy 0 < review_threshold <= match_threshold <= 1")
        if not self.match_threshold <= self.strict_threshold <= 1.0:
            raise ValueError("linkage thresholds must satisfy match_threshold <= strict_threshold <= 1")
        if not self.review_threshold <= self.lenient_threshold <= self.match_threshold:
            raise ValueError("linkage thresholds must satisfy review_threshold <= lenient_threshold <= match_threshold")
        if self.max_block_size < 2:
            raise ValueError("max_block_size must be at least 2")

    @classmethod
    def from_env(cls, match_threshold: float | None = None, review_threshold: float | None = None) -> LinkageSettings:
        """Defaults overridden by ``HFC_LINK_*`` environment variables (and by the arguments, e.g. from the CLI).

        An alternative threshold left unset follows the decision thresholds it must bracket (a match threshold of
        0.95 makes the default strict threshold 0.95, not an error); one set explicitly is validated as given.
        """
        base = cls()
        threads_raw = os.environ.get("HFC_LINK_THREADS")
        match = (
            match_threshold
            if match_threshold is not None
            else _env_float("HFC_LINK_MATCH_THRESHOLD", base.match_threshold)
        )
        review = (
            review_threshold
            if review_threshold is not None
            else _env_float("HFC_LINK_REVIEW_THRESHOLD", base.review_threshold)
        )
        return replace(
            base,
            match_threshold=match,
            review_threshold=review,
            strict_threshold=_env_float("HFC_LINK_STRICT_THRESHOLD", max(base.strict_threshold, match)),
            lenient_threshold=_env_float("HFC_LINK_LENIENT_THRESHOLD", min(max(base.lenient_threshold, review), match)),
            max_block_size=_env_int("HFC_LINK_MAX_BLOCK_SIZE", base.max_block_size),
            threads=int(threads_raw) if threads_raw and threads_raw.strip() else None,
        )
