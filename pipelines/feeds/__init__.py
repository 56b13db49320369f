"""The eight agency feeds, each declared once in its own module: columns, code lists and privacy roles.

``FEED_SPECS`` is keyed by the names in ``pipelines.settings.FEEDS``; ``CODE_LABELS`` gives each
CODE column's code meanings (for docs and dashboards).
"""

from __future__ import annotations

from pipelines.feeds import (
    ambulance_calls,
    council_contacts,
    ed_attendances,
    feedback,
    mh_contacts,
    mh_outcome_measures,
    police_incidents,
    programme_caseload,
)
from pipelines.feeds.base import Column, DType, FeedSpec, Role
from pipelines.settings import FEEDS

_MODULES = (
    police_incidents,
    ambulance_calls,
    ed_attendances,
    mh_contacts,
    mh_outcome_measures,
    feedback,
    council_contacts,
    programme_caseload,
)

FEED_SPECS: dict[str, FeedSpec] = {m.SPEC.name: m.SPEC for m in _MODULES}
CODE_LABELS: dict[str, dict[str, dict[str, str]]] = {m.SPEC.name: m.CODE_LABELS for m in _MODULES}

if tuple(FEED_SPECS) != FEEDS:  # pragma: no cover - a wiring error, caught at import
    raise RuntimeError("pipelines.feeds modules do not match pipelines.settings.FEEDS")


def get_spec(name: str) -> FeedSpec:
    """The spec of one feed, by its name in ``pipelines.settings.FEEDS``."""
    try:
        return FEED_SPECS[name]
    except KeyError:
        raise KeyError(f"unknown feed {name!r}; known feeds: {', '.join(FEEDS)}") from None


__all__ = ["CODE_LABELS", "FEED_SPECS", "Column", "DType", "FeedSpec", "Role", "get_spec"]
