"""Replaying missing signals through the emitter's client, batch by batch.

Each batch goes out with ``X-Replay-Source: reconcile`` through the process's one
``RiskCastClient`` (``deliver_many``: one POST per ``MAX_BATCH`` events), so the hot path's
breaker, retries and bulkhead govern replays too. ``DELIVERED`` and
``DUPLICATE`` (409: RiskCast already had it) both count as done. After every batch
``on_batch`` is called with what RiskCast confirmed, and only then does the caller's state
advance; a ``LEDGER_ONLY`` answer (RiskCast away, breaker open, bulkhead full) ends the replay
after reporting its batch, so nothing unconfirmed is ever counted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from emitter.client import DeliveryRequest, RiskCastClient
from emitter.outcome import DeliveryStatus
from ledger.core import LedgerReader
from omenproject.signals import payload_hash
from reconcile.compare import Missing


@dataclass
class BatchResult:
    confirmed: int = 0
    created: int = 0
    duplicates: int = 0
    last_seq: int | None = None


@dataclass
class ReplayResult:
    confirmed: int = 0
    created: int = 0
    duplicates: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (signal_id, reason)
    unreadable: list[str] = field(default_factory=list)  # position no longer readable
    stopped: str | None = None  # why the replay ended early


def replay(
    missing: Sequence[Missing],
    *,
    reader: LedgerReader,
    client: RiskCastClient,
    batch_size: int,
    on_batch: Callable[[BatchResult], None],
    should_stop: Callable[[], bool] = lambda: False,
) -> ReplayResult:
    """Replay ``missing`` in order, ``batch_size`` at a time; see the module docstring."""
    result = ReplayResult()
    for start in range(0, len(missing), batch_size):
        if should_stop():
            result.stopped = "stopping"
            break
        batch = BatchResult()
        requests, seqs = [], []
        for item in missing[start : start + batch_size]:
            stored = reader.read_at(item.position)
            if stored is None:
                result.unreadable.append(f"{item.position.partition}@{item.seq}")
                continue
            event = json.loads(stored.record.payload)
            requests.append(DeliveryRequest(event, payload_hash(event), stored.record.trace_id))
            seqs.append(item.seq)
        # MAX_BATCH events per POST; once one ends LEDGER_ONLY the rest come back so, unsent.
        answers = client.deliver_many(requests, replay_source="reconcile")
        for seq, answer in zip(seqs, answers, strict=True):
            if answer.delivered:
                batch.confirmed += 1
                batch.created += answer.status is DeliveryStatus.DELIVERED
                batch.duplicates += answer.status is DeliveryStatus.DUPLICATE
                batch.last_seq = seq
            elif answer.status is DeliveryStatus.REJECTED:
                result.rejected.append((answer.signal_id, answer.error or "rejected"))
            else:
                result.stopped = result.stopped or answer.error or "ledger_only"
        if batch.confirmed:
            on_batch(batch)
        result.confirmed += batch.confirmed
        result.created += batch.created
        result.duplicates += batch.duplicates
        if result.stopped:
            break
    return result
