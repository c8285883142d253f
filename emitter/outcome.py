"""What a delivery to RiskCast ended as, and how one HTTP answer is classified.

Pure logic, no Django and no I/O, so the classification table is tested on its own.

| answer | verdict | retried | breaker |
|---|---|---|---|
| 2xx | ``DELIVERED`` (``ack_id`` from the body) | no | success |
| 409 ``duplicate`` whose payload hash matches (or carries none) | ``DUPLICATE``: delivered before | no | success |
| 409 with another hash or code, 400, 401, 403, 404, 422, other 4xx | ``REJECTED``, with reason | no | success |
| 408, 429, 5xx, transport error, timeout | retryable; ``LEDGER_ONLY`` once retries run out | yes | failure |
| 1xx, 3xx (a misconfigured URL) | ``LEDGER_ONLY`` | no | neutral |

A 4xx proves RiskCast is up and answering, so it never counts against the breaker.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from emitter.retry import is_retryable_status


class DeliveryStatus(enum.StrEnum):
    """The outcome of one delivery, as stored in the delivery state and reported to producers."""

    DELIVERED = "DELIVERED"  # RiskCast stored it now (2xx)
    DUPLICATE = "DUPLICATE"  # RiskCast already had it with the same payload (409): delivered too
    REJECTED = "REJECTED"  # RiskCast refused it for good (4xx): parked with its reason, never retried
    LEDGER_ONLY = "LEDGER_ONLY"  # not delivered now; safe in the ledger, the drain worker retries later


DELIVERED_STATUSES = frozenset({DeliveryStatus.DELIVERED, DeliveryStatus.DUPLICATE})


@dataclass(frozen=True)
class DeliveryResult:
    """What ``RiskCastClient.deliver`` returns; it never raises for a delivery failure.

    ``error`` is a short stable reason (``None`` when delivered): ``bulkhead_full``,
    ``breaker_open``, ``retry_budget_exhausted``, ``connect_error``, ``read_timeout``, ``http_503``,
    ``conflict_payload_mismatch``, ``duplicate_payload_mismatch``, ``http_401``...
    """

    signal_id: str
    status: DeliveryStatus
    attempts: int
    duration_s: float
    ack_id: str | None = None
    http_status: int | None = None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        """True for ``DELIVERED`` and ``DUPLICATE``: RiskCast holds this signal."""
        return self.status in DELIVERED_STATUSES


class Verdict(enum.Enum):
    """How the client proceeds after one HTTP answer."""

    DELIVERED = "delivered"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    RETRY = "retry"  # transient: try again if the policy allows
    GIVE_UP = "give_up"  # not retried, not RiskCast's fault either: leave it in the ledger


@dataclass(frozen=True)
class Classified:
    verdict: Verdict
    ack_id: str | None = None
    reason: str | None = None


def _error_block(body: Any) -> dict:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return body["error"]
    return {}


def classify_response(status_code: int, body: Any, *, payload_hash: str) -> Classified:
    """Classify one HTTP answer from RiskCast's ingest (``body`` is the parsed JSON or ``None``)."""
    if 200 <= status_code <= 299:
        ack_id = body.get("ack_id") if isinstance(body, dict) else None
        return Classified(Verdict.DELIVERED, ack_id=None if ack_id is None else str(ack_id))
    if is_retryable_status(status_code):
        return Classified(Verdict.RETRY, reason=f"http_{status_code}")
    error = _error_block(body)
    code = error.get("code") if isinstance(error.get("code"), str) else None
    if status_code == 409 and code == "duplicate":
        details = error.get("details") if isinstance(error.get("details"), dict) else {}
        theirs = details.get("payload_hash")
        if theirs is not None and theirs != payload_hash:
            # Same id, different content: RiskCast holds something else. Never count it delivered.
            return Classified(Verdict.REJECTED, reason="duplicate_payload_mismatch")
        ack_id = details.get("ack_id")
        return Classified(Verdict.DUPLICATE, ack_id=None if ack_id is None else str(ack_id))
    if 400 <= status_code <= 499:
        return Classified(Verdict.REJECTED, reason=code or f"http_{status_code}")
    return Classified(Verdict.GIVE_UP, reason=f"http_{status_code}")


def classify_batch_response(status_code: int, body: Any, *, count: int) -> Classified:
    """Classify the answer to a batch POST as a whole.

    A 2xx carrying one result per event is ``DELIVERED`` here in the sense "answered": each
    event's own outcome is then read with ``classify_batch_item``. A 2xx of any other shape is not
    RiskCast's contract, so the events stay in the ledger (``GIVE_UP``); the rest is as for one event.
    """
    if 200 <= status_code <= 299:
        results = body.get("results") if isinstance(body, dict) else None
        if isinstance(results, list) and len(results) == count and all(isinstance(r, dict) for r in results):
            return Classified(Verdict.DELIVERED)
        return Classified(Verdict.GIVE_UP, reason="malformed_batch_answer")
    if is_retryable_status(status_code):
        return Classified(Verdict.RETRY, reason=f"http_{status_code}")
    if 400 <= status_code <= 499:
        code = _error_block(body).get("code")
        return Classified(Verdict.REJECTED, reason=code if isinstance(code, str) else f"http_{status_code}")
    return Classified(Verdict.GIVE_UP, reason=f"http_{status_code}")


def classify_batch_item(item: dict, *, signal_id: str, payload_hash: str) -> Classified:
    """Classify one event's result inside a batch answer (RiskCast's ``results[i]``).

    ``201`` is delivered and ``409`` a duplicate, each only when the result names this event and
    the payload hash RiskCast holds is ours; any other 4xx is ``REJECTED`` with its code; an
    unknown shape leaves the event in the ledger.
    """
    status = item.get("status")
    if not isinstance(status, int) or isinstance(status, bool):
        return Classified(Verdict.GIVE_UP, reason="malformed_batch_answer")
    if status in (201, 409):
        if item.get("signal_id") != signal_id:
            return Classified(Verdict.GIVE_UP, reason="malformed_batch_answer")
        theirs, ack_id = item.get("payload_hash"), item.get("ack_id")
        if theirs is not None and theirs != payload_hash:
            reason = "duplicate_payload_mismatch" if status == 409 else "payload_hash_disagrees"
            return Classified(Verdict.REJECTED, reason=reason)
        verdict = Verdict.DELIVERED if status == 201 else Verdict.DUPLICATE
        return Classified(verdict, ack_id=None if ack_id is None else str(ack_id))
    if 400 <= status <= 499:
        code = _error_block(item).get("code")
        return Classified(Verdict.REJECTED, reason=code if isinstance(code, str) else f"http_{status}")
    return Classified(Verdict.GIVE_UP, reason=f"http_{status}")
