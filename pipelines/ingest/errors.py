"""What ingest says about a delivery: a file held whole (:class:`DeliveryRejected`) or a warning (:class:`Alert`).

Both carry a stable code and a message that names the feed, file, column and rule, never a value: they travel into
logs, asset check metadata and the warehouse's ``load_audit`` table.
"""

from __future__ import annotations

from dataclasses import dataclass


class DeliveryRejected(Exception):
    """A whole file that cannot be loaded as this feed. ``reason`` is a stable code.

    ``rows`` is how many data rows the held file holds (as far as they can be counted), so that reconciliation can
    say how many rows were held: received = rows held = quarantined.
    """

    def __init__(self, reason: str, message: str, rows: int = 0) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.rows = rows


@dataclass(frozen=True)
class Alert:
    """Something a person must see about a delivery that was loaded (or about its folder): a code and a message."""

    code: str
    message: str
