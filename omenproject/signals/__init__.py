"""The signal contract: what a producer sends, the SignalEvent envelope, ids and versions.

Everything another app needs is importable from here. The serializers are loaded on first use
so that the pure parts (hashing, versions, upgrades) import without Django configured.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omenproject.signals.canonical import canonical_json, input_event_hash_of, signal_id_of
from omenproject.signals.envelope import build_event, partition_of, payload_hash
from omenproject.signals.limits import CATEGORIES, MAX_BATCH
from omenproject.signals.upgrades import upgrade_event
from omenproject.signals.versions import CURRENT_SCHEMA_VERSION, SUPPORTED_SCHEMA_VERSIONS

if TYPE_CHECKING:
    from omenproject.signals.serializers import SignalEventSerializer, SignalInputSerializer

__all__ = [
    "CATEGORIES",
    "CURRENT_SCHEMA_VERSION",
    "MAX_BATCH",
    "SUPPORTED_SCHEMA_VERSIONS",
    "SignalEventSerializer",
    "SignalInputSerializer",
    "build_event",
    "canonical_json",
    "input_event_hash_of",
    "partition_of",
    "payload_hash",
    "signal_id_of",
    "upgrade_event",
]

_LAZY = {"SignalEventSerializer", "SignalInputSerializer"}


def __getattr__(name: str):
    if name in _LAZY:
        from omenproject.signals import serializers

        return getattr(serializers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
