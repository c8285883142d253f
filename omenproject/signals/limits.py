"""The contract's vocabulary and limits, in one place so docs and serializers agree.

Pure data, no Django import.
"""

from __future__ import annotations

CATEGORIES: tuple[str, ...] = (
    "GEOPOLITICAL",
    "INFRASTRUCTURE",
    "WEATHER",
    "ECONOMIC",
    "REGULATORY",
    "SECURITY",
    "OTHER",
)

# Signals per POST /api/v1/signals. Bounded so one request's ledger appends stay short.
MAX_BATCH = 100

SOURCE_MAX = 64
SOURCE_EVENT_ID_MAX = 128
TITLE_MAX = 300
DESCRIPTION_MAX = 5000
SIGNAL_TYPE_MAX = 64
RULESET_VERSION_MAX = 64
TAG_MAX = 64  # one region, chokepoint or keyword
TAGS_MAX_ITEMS = 50  # per list
EVIDENCE_MAX_ITEMS = 20
EVIDENCE_SOURCE_MAX = 128
URL_MAX = 2048
SCHEMA_VERSION_MAX = 32
TRACE_ID_PATTERN = r"^[0-9a-f]{32}$"
# Identifiers: letters, digits and . _ : - , starting with a letter or digit.
SLUG_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"
