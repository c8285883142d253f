"""Upgrade a SignalEvent of an older accepted schema version to the current one.

Pure logic, no Django import. Each step takes an event of exactly one release and returns the
next release's shape; steps are chained until the current version is reached. Records in the
ledger are never rewritten: they are upgraded every time they are read.

Identity is assigned once, when an event is built: a step carries ``signal_id`` unchanged and
must not change the canonical bytes of the signal content (see docs/compatibility.md).
"""

from __future__ import annotations

from collections.abc import Callable

from omenproject.signals.canonical import input_event_hash_of, signal_id_of
from omenproject.signals.versions import (
    CURRENT_SCHEMA_VERSION,
    SUPPORTED_SCHEMA_VERSIONS,
    SchemaVersionError,
    release_of,
    unsupported_message,
)

# Envelope keys of 0.9.0 that are not signal content; everything else at its top level was.
_ENVELOPE_0_9 = ("schema_version", "signal_id", "trace_id", "emitted_at")


class UpgradeError(ValueError):
    """An old event that cannot be upgraded (malformed for its own version)."""


def _upgrade_0_9_to_1_0(event: dict) -> dict:
    """0.9.0 was flat (content fields beside the envelope fields) and had no input_event_hash.

    1.0.0 nests the content under ``signal``, repeats ``observed_at`` on the envelope and adds
    ``input_event_hash``. The content bytes are unchanged, so ``signal_id`` is still its hash:
    an id that does not match is a forged or corrupted record and is refused here.
    """
    if "signal" in event:
        raise UpgradeError("A 0.9.0 event is flat; it has no 'signal' object.")
    content = {key: value for key, value in event.items() if key not in _ENVELOPE_0_9}
    if "observed_at" not in content:
        raise UpgradeError("A 0.9.0 event needs 'observed_at'.")
    if event.get("signal_id") != signal_id_of(content):
        raise UpgradeError("The 0.9.0 event's signal_id does not match its content.")
    upgraded = {key: event[key] for key in _ENVELOPE_0_9 if key in event}
    upgraded.update(
        schema_version="1.0.0",
        input_event_hash=input_event_hash_of(content),
        observed_at=content["observed_at"],
        signal=content,
    )
    return upgraded


# release -> (next release, step). Each step is tested on its own (tests/test_upgrades.py).
STEPS: dict[str, tuple[str, Callable[[dict], dict]]] = {
    "0.9.0": ("1.0.0", _upgrade_0_9_to_1_0),
}


def upgrade_event(event: dict) -> dict:
    """Return ``event`` in the current schema version (a new dict; the input is not modified).

    Raises ``UnsupportedSchemaVersion`` (400 ``unsupported_schema_version``) when the version is
    missing, not semver, or not supported, and ``UpgradeError`` for a malformed old event.
    """
    if not isinstance(event, dict):
        raise UpgradeError("An event is a JSON object.")
    version = event.get("schema_version")
    try:
        release = release_of(version)
    except SchemaVersionError:
        raise unsupported_error(version) from None
    current = dict(event)
    if release != version:
        current["schema_version"] = release  # a patch release has the same shape as its line
    while release != CURRENT_SCHEMA_VERSION:
        release, step = STEPS[release][0], STEPS[release][1]
        current = step(current)
    return current


def unsupported_error(version: object) -> Exception:
    """The 400 ``unsupported_schema_version`` error for ``version``, naming the supported ones."""
    # Imported late so this module stays importable without Django configured.
    from omenproject.errors import UnsupportedSchemaVersion

    return UnsupportedSchemaVersion(
        unsupported_message(version),
        details={"schema_version": [unsupported_message(version)], "supported": list(SUPPORTED_SCHEMA_VERSIONS)},
    )
