"""RiskCast's writes: store each signal exactly once, decided by the database.

There is no check-then-insert. Every event goes into one multi-row
``INSERT ... ON CONFLICT (signal_id) DO NOTHING RETURNING signal_id`` (the same SQL on SQLite
and PostgreSQL): the unique constraint on ``signal_id`` decides which delivery wins, the
RETURNING list says which rows this request created, and only then are the other rows read
back. PostgreSQL waits for a concurrent inserter of the same id to commit or roll back before
it reports the conflict, and SQLite serialises writers with ``BEGIN IMMEDIATE``: a row read back
is always committed, so a 409 never points at an uncommitted row.

On SQLite the threads of one process also queue for the write transaction on a Python lock.
SQLite admits one writer at a time anyway, and its busy handler makes waiters poll with sleeps
growing to 100 ms: with a dozen threads the lock sat idle between polls and the slowest
requests waited for seconds. A thread waiting on the Python lock is woken as soon as it is
free; only other processes still meet the busy handler. The wait is bounded by the same busy
timeout and ends in the same 503. It orders the transactions, it decides nothing: the unique
constraint still does.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import OperationalError, connections, transaction
from django.utils import timezone

from omenproject.routers import RISKCAST_ALIAS
from omenproject.services import audit_record
from riskcast import metrics
from riskcast.digest import id_term_halves
from riskcast.errors import Overloaded
from riskcast.models import ProcessedSignal

logger = logging.getLogger("omen.riskcast")

CREATED = "created"
DUPLICATE = "duplicate"
MISMATCH = "conflict_payload_mismatch"

# PostgreSQL: lock_not_available, serialization_failure, deadlock_detected, query_canceled.
_LOCK_SQLSTATES = frozenset({"55P03", "40001", "40P01", "57014"})
_COLUMNS = (
    "signal_id",
    "payload_hash",
    "event",
    "partition",
    "ack_id",
    "first_seen_at",
    "source",
    "trace_id",
    "id_hash_hi",
    "id_hash_lo",
)
_sqlite_writer = threading.Lock()


@dataclass(frozen=True)
class IncomingSignal:
    """One validated event, ready to store."""

    signal_id: str
    payload_hash: str
    event: dict
    partition: str
    trace_id: str


@dataclass(frozen=True)
class IngestOutcome:
    signal_id: str
    result: str  # CREATED, DUPLICATE or MISMATCH
    ack_id: str
    first_seen_at: datetime
    stored_payload_hash: str
    payload_hash: str


def is_lock_timeout(exc: OperationalError) -> bool:
    """True when the database gave up waiting for a lock (retryable), not for other failures."""
    sqlstate = getattr(exc.__cause__, "sqlstate", None)
    if sqlstate:
        return sqlstate in _LOCK_SQLSTATES
    message = str(exc).lower()
    return "database is locked" in message or "database table is locked" in message or "busy" in message


def new_ack_id() -> str:
    return f"ack_{secrets.token_hex(16)}"


def signals_ingest(*, signals: Sequence[IncomingSignal], source: str, actor: str) -> list[IngestOutcome]:
    """Store each signal at most once; one outcome per signal, in input order.

    A repeated id inside ``signals`` is judged against its first occurrence. Lock waits beyond
    the database's timeout raise ``Overloaded`` (503 + Retry-After) and store nothing.
    """
    if not signals:
        return []
    started = time.perf_counter()
    first: dict[str, IncomingSignal] = {}
    for signal in signals:
        first.setdefault(signal.signal_id, signal)
    try:
        with _write_turn(), transaction.atomic(using=RISKCAST_ALIAS):
            now = timezone.now()
            rows = {sid: _row(signal, source=source, now=now) for sid, signal in sorted(first.items())}
            created = _insert_ignoring_existing(rows.values())
            stored = _stored(sid for sid in rows if sid not in created)
    except OperationalError as exc:
        if not is_lock_timeout(exc):
            raise
        metrics.INGEST_TOTAL.labels(outcome="overloaded").inc(len(signals))
        logger.warning("riskcast.overloaded", extra={"events": len(signals), "error": str(exc)[:200]})
        raise Overloaded(retry_after=settings.RISKCAST_RETRY_AFTER_S) from exc
    for sid in created:
        row = rows[sid]
        stored[sid] = (row["ack_id"], row["first_seen_at"], row["payload_hash"])
    outcomes = _judge(signals, stored, created)
    _account(outcomes, source=source, actor=actor)
    metrics.INGEST_SECONDS.labels(kind="single" if len(signals) == 1 else "batch").observe(
        time.perf_counter() - started
    )
    return outcomes


@contextlib.contextmanager
def _write_turn():
    """On SQLite, this process's turn to write (see the module docstring); elsewhere a no-op."""
    connection = connections[RISKCAST_ALIAS]
    if connection.vendor != "sqlite":
        yield
        return
    if not _sqlite_writer.acquire(timeout=connection.settings_dict["OPTIONS"].get("timeout", 5.0)):
        raise OperationalError("database is locked (this process's writers queued past the busy timeout)")
    try:
        yield
    finally:
        _sqlite_writer.release()


def _row(signal: IncomingSignal, *, source: str, now: datetime) -> dict:
    hi, lo = id_term_halves(signal.signal_id)
    return {
        "signal_id": signal.signal_id,
        "payload_hash": signal.payload_hash,
        "event": signal.event,
        "partition": signal.partition,
        "ack_id": new_ack_id(),
        "first_seen_at": now,
        "source": source,
        "trace_id": signal.trace_id[:64],
        "id_hash_hi": hi,
        "id_hash_lo": lo,
    }


def _insert_ignoring_existing(rows: Iterable[dict]) -> set[str]:
    """Insert the rows whose id is new; return the ids this statement inserted."""
    rows = list(rows)
    connection = connections[RISKCAST_ALIAS]
    quote = connection.ops.quote_name
    meta = ProcessedSignal._meta
    fields = [meta.get_field(name) for name in _COLUMNS]
    one_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES "
    tail = f" ON CONFLICT ({quote('signal_id')}) DO NOTHING RETURNING {quote('signal_id')}"
    step = max(1, connection.ops.bulk_batch_size(fields, rows))
    created: set[str] = set()
    with connection.cursor() as cursor:
        for start in range(0, len(rows), step):
            chunk = rows[start : start + step]
            params = [field.get_db_prep_save(row[field.name], connection) for row in chunk for field in fields]
            cursor.execute(head + ", ".join([one_row] * len(chunk)) + tail, params)
            created.update(value for (value,) in cursor.fetchall())
    return created


def _stored(signal_ids: Iterable[str]) -> dict[str, tuple[str, datetime, str]]:
    """(ack_id, first_seen_at, payload_hash) of rows already committed."""
    ids = list(signal_ids)
    found: dict[str, tuple[str, datetime, str]] = {}
    for start in range(0, len(ids), 500):
        rows = ProcessedSignal.objects.filter(signal_id__in=ids[start : start + 500]).values_list(
            "signal_id", "ack_id", "first_seen_at", "payload_hash"
        )
        found.update((sid, (ack, seen, phash)) for sid, ack, seen, phash in rows)
    return found


def _judge(
    signals: Sequence[IncomingSignal], stored: dict[str, tuple[str, datetime, str]], created: set[str]
) -> list[IngestOutcome]:
    outcomes = []
    claimed: set[str] = set()
    for signal in signals:
        ack_id, first_seen_at, stored_hash = stored[signal.signal_id]
        if signal.signal_id in created and signal.signal_id not in claimed:
            result = CREATED
            claimed.add(signal.signal_id)
        elif signal.payload_hash == stored_hash:
            result = DUPLICATE
        else:
            result = MISMATCH
        outcomes.append(
            IngestOutcome(
                signal_id=signal.signal_id,
                result=result,
                ack_id=ack_id,
                first_seen_at=first_seen_at,
                stored_payload_hash=stored_hash,
                payload_hash=signal.payload_hash,
            )
        )
    return outcomes


def _account(outcomes: list[IngestOutcome], *, source: str, actor: str) -> None:
    """Metrics for every outcome; a log line and an audit event for every mismatch."""
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.result] = counts.get(outcome.result, 0) + 1
        if outcome.result == MISMATCH:
            metrics.CONFLICTS_TOTAL.labels(source=source).inc()
            details = {
                "signal_id": outcome.signal_id,
                "stored_payload_hash": outcome.stored_payload_hash,
                "payload_hash": outcome.payload_hash,
                "source": source,
            }
            logger.warning("riskcast.conflict_payload_mismatch", extra=details)
            audit_record(
                actor=actor,
                action="riskcast.conflict_payload_mismatch",
                target=outcome.signal_id,
                outcome="rejected",
                details=details,
            )
    for result, count in counts.items():
        metrics.INGEST_TOTAL.labels(outcome=result).inc(count)
    logger.info("riskcast.ingest", extra={"source": source, "events": len(outcomes), "outcomes": counts})
