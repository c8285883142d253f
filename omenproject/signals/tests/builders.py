"""Small builders for signal tests: ``make_signal(**overrides)`` and friends."""

from __future__ import annotations

from datetime import UTC, datetime

TRACE = "0af7651916cd43dd8448eb211c80319c"
EMITTED = datetime(2026, 12, 4, 1, 31, 0, tzinfo=UTC)


def make_evidence(**overrides) -> dict:
    item = {"source": "reuters", "url": "https://example.com/news/1", "observed_at": "2026-12-03T20:00:00Z"}
    item.update(overrides)
    return item


def make_signal(**overrides) -> dict:
    """A valid producer payload (JSON form); override or drop (``field=DROP``) any field."""
    signal = {
        "source": "acled",
        "source_event_id": "evt-2026-0001",
        "title": "Port of Rotterdam closed by strike",
        "description": "Dock workers strike; terminals closed for 48 hours.",
        "category": "INFRASTRUCTURE",
        "signal_type": "port_closure",
        "probability": 0.7,
        "confidence": 0.85,
        "observed_at": "2026-12-03T23:30:00-02:00",
        "regions": ["NL", "EU"],
        "chokepoints": ["north-sea"],
        "keywords": ["strike", "port"],
        "evidence": [make_evidence()],
        "ruleset_version": "2026.12.1",
    }
    signal.update(overrides)
    return {key: value for key, value in signal.items() if value is not DROP}


class _Drop:
    def __repr__(self) -> str:
        return "DROP"


DROP = _Drop()


def make_event(**overrides) -> dict:
    """A valid current-version SignalEvent built from ``make_signal()``."""
    from omenproject.signals import SignalInputSerializer, build_event

    serializer = SignalInputSerializer(data=make_signal(**overrides))
    serializer.is_valid(raise_exception=True)
    return build_event(serializer.validated_data, trace_id=TRACE, emitted_at=EMITTED)
