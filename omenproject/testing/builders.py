"""Small builders for tests: valid producer content, unique per call."""

from __future__ import annotations

import itertools

_n = itertools.count(1)


def make_signal(**overrides) -> dict:
    """Valid producer content, unique per call unless ``source_event_id`` is given."""
    content = {
        "source": "acme-sensors",
        "source_event_id": f"evt-{next(_n)}",
        "title": "Port closure",
        "description": "Dock workers strike at the container terminal",
        "category": "INFRASTRUCTURE",
        "signal_type": "closure",
        "probability": 0.7,
        "confidence": 0.9,
        "observed_at": "2026-12-03T10:00:00Z",
        "regions": ["EU"],
        "chokepoints": ["Rotterdam"],
        "keywords": ["port", "strike"],
        "evidence": [{"source": "news", "url": "https://news.example/a", "observed_at": "2026-12-03T09:00:00Z"}],
        "ruleset_version": "1.0.0",
    }
    return content | overrides
