"""The SignalEvent envelope: building it, its partition and its payload hash.

Pure logic, no Django import (``upgrade_event`` only reaches for Django to raise its 400).

    {"schema_version": "1.0.0", "signal_id": "sig_...", "input_event_hash": "<64 hex>",
     "trace_id": "<32 hex>", "observed_at": "...Z", "emitted_at": "...Z", "signal": {...}}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from omenproject.signals.canonical import (
    canonical_content,
    canonical_json,
    content_ids,
    sha256_hex,
)
from omenproject.signals.limits import TRACE_ID_PATTERN
from omenproject.signals.timeutil import canonical_time, format_utc, parse_utc
from omenproject.signals.upgrades import upgrade_event
from omenproject.signals.versions import CURRENT_SCHEMA_VERSION

ENVELOPE_FIELDS = ("schema_version", "signal_id", "input_event_hash", "trace_id", "observed_at", "emitted_at", "signal")
# What payload_hash covers: the ledger record minus its trace id (a replay may carry another).
PAYLOAD_FIELDS = ("signal_id", "input_event_hash", "observed_at", "emitted_at", "signal")


def build_event(content: Mapping, *, trace_id: str, emitted_at: datetime) -> dict:
    """Wrap validated signal content in a current-version, JSON-ready SignalEvent envelope.

    ``content`` is ``SignalInputSerializer(...).validated_data`` (or its JSON form). The ids are
    computed here from the canonical content; every datetime comes out as a UTC ``Z`` string.
    ``trace_id`` is 32 lowercase hex digits (``ValueError`` otherwise: the envelope serializer
    would refuse the event later, far from the mistake); ``emitted_at`` must be aware (naive
    datetimes raise ``TimestampError``).
    """
    if not isinstance(trace_id, str) or not re.match(TRACE_ID_PATTERN, trace_id):
        raise ValueError(f"trace_id must be 32 lowercase hex digits, not {trace_id!r}.")
    signal = canonical_content(content)
    signal_id, input_hash = content_ids(signal, canonical=True)
    return {
        "schema_version": CURRENT_SCHEMA_VERSION,
        "signal_id": signal_id,
        "input_event_hash": input_hash,
        "trace_id": trace_id,
        "observed_at": signal["observed_at"],
        "emitted_at": format_utc(parse_utc(emitted_at)),
        "signal": signal,
    }


def partition_of(event: Mapping) -> str:
    """The ledger partition of an event: the UTC date (``YYYY-MM-DD``) of its ``emitted_at``."""
    return parse_utc(event["emitted_at"]).date().isoformat()


def payload_hash(event: Mapping, *, canonical: bool = False) -> str:
    """SHA-256 (64 hex) of the canonical JSON of the upgraded event's ``PAYLOAD_FIELDS``.

    Excludes ``trace_id`` and everything outside the envelope (ledger position, delivery
    status), so a replay of one ledger record always hashes the same. Equal hashes mean a
    duplicate; the same ``signal_id`` with another hash is a conflict.

    ``canonical=True`` says ``event`` is already current-version and canonical (what
    ``build_event`` returns and ``SignalEventSerializer`` validates to), so the upgrade and the
    canonical forms, all idempotent, are not computed again.
    """
    current = event if canonical else upgrade_event(dict(event))
    missing = [field for field in PAYLOAD_FIELDS if field not in current]
    if missing:
        raise ValueError(f"The event lacks {', '.join(missing)}.")
    record = {field: current[field] for field in PAYLOAD_FIELDS}
    if not canonical:
        record["observed_at"] = canonical_time(record["observed_at"])
        record["emitted_at"] = canonical_time(record["emitted_at"])
        record["signal"] = canonical_content(record["signal"])
    return sha256_hex(canonical_json(record))
