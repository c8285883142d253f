"""Builders for RiskCast tests and the benchmark: valid SignalEvents, made fast and unique."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time

from omenproject.signals import build_event

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def make_content(n: int = 0, **overrides) -> dict:
    """Producer content (JSON form); ``n`` makes the signal (and so its id) distinct."""
    content = {
        "source": "acled",
        "source_event_id": f"rc-{n}",
        "title": f"Terminal {n} closed by strike",
        "description": "Dock workers strike; terminals closed for 48 hours.",
        "category": "INFRASTRUCTURE",
        "signal_type": "port_closure",
        "probability": 0.7,
        "confidence": 0.85,
        "observed_at": "2026-12-03T20:00:00Z",
        "regions": ["NL", "EU"],
        "chokepoints": ["north-sea"],
        "keywords": ["strike", "port"],
        "evidence": [],
        "ruleset_version": "2026.12.1",
    }
    content.update(overrides)
    return content


def make_event(n: int = 0, *, day: date = date(2026, 12, 3), trace_id: str = TRACE, **overrides) -> dict:
    """A valid SignalEvent whose partition is ``day``."""
    emitted_at = datetime.combine(day, time(12, 0), tzinfo=UTC)
    return build_event(make_content(n, **overrides), trace_id=trace_id, emitted_at=emitted_at)


def make_events(count: int, *, day: date = date(2026, 12, 3), tag: str | None = None) -> list[dict]:
    """``count`` distinct events in partition ``day``; ``tag`` (random by default) keeps runs apart."""
    tag = tag or secrets.token_hex(4)
    return [make_event(i, day=day, source_event_id=f"rc-{tag}-{i}") for i in range(count)]


def mismatching(event: dict) -> dict:
    """The same ``signal_id`` with another payload (a later ``emitted_at``)."""
    return {**event, "emitted_at": event["emitted_at"].replace("12:00:00", "13:00:00")}
