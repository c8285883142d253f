"""Schema versions of the SignalEvent: parsing, the supported set and the acceptance rule.

Pure logic, no Django import. A version is ``MAJOR.MINOR.PATCH`` (semver, no pre-release tags).
A version is accepted when its MAJOR.MINOR line is one this code knows: patch releases never
change the shape, and a minor newer than the server knows would carry fields it cannot check.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from email.utils import format_datetime

CURRENT_SCHEMA_VERSION = "1.0.0"
# Versions producers and peers may send; older ones are upgraded by ``upgrades.py``.
SUPPORTED_SCHEMA_VERSIONS: tuple[str, ...] = ("0.9.0", "1.0.0")
# Versions past their sunset: no longer accepted on the API, but ledger records written in them
# stay readable forever, so their upgrade steps are never deleted (docs/compatibility.md).
RETIRED_SCHEMA_VERSIONS: tuple[str, ...] = ()
# Supported but on the way out: version -> (deprecated since, sunset), both UTC dates. The API
# announces them with the Deprecation (RFC 9745) and Sunset (RFC 8594) response headers.
DEPRECATED_SCHEMA_VERSIONS: dict[str, tuple[date, date]] = {
    "0.9.0": (date(2026, 12, 1), date(2027, 6, 1)),
}

_SEMVER = re.compile(r"^(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})$")


class SchemaVersionError(ValueError):
    """A version string that is not semver, or names a version this code cannot read."""


def parse_version(version: object) -> tuple[int, int, int]:
    """``"1.2.3"`` -> ``(1, 2, 3)``; anything that is not plain semver raises ``SchemaVersionError``."""
    if not isinstance(version, str):
        raise SchemaVersionError("The schema version must be a string like '1.0.0'.")
    match = _SEMVER.match(version)
    if match is None:
        raise SchemaVersionError(f"{version!r} is not a semantic version (MAJOR.MINOR.PATCH).")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def _line(version: str) -> tuple[int, int]:
    major, minor, _ = parse_version(version)
    return major, minor


_SUPPORTED_LINES = {_line(v): v for v in SUPPORTED_SCHEMA_VERSIONS}
_READABLE_LINES = {_line(v): v for v in SUPPORTED_SCHEMA_VERSIONS + RETIRED_SCHEMA_VERSIONS}


def is_supported(version: str) -> bool:
    """True when ``version`` is valid semver and its MAJOR.MINOR line is supported."""
    try:
        return _line(version) in _SUPPORTED_LINES
    except SchemaVersionError:
        return False


def release_of(version: str) -> str:
    """The readable release (``"0.9.0"``) whose line ``version`` (``"0.9.4"``) belongs to.

    Readable is supported plus retired: the ledger must read what it wrote years ago.
    """
    try:
        return _READABLE_LINES[_line(version)]
    except KeyError:
        raise SchemaVersionError(unsupported_message(version)) from None


def unsupported_message(version: object) -> str:
    return f"Schema version {version!r} is not supported; supported versions: {', '.join(SUPPORTED_SCHEMA_VERSIONS)}."


def deprecation_headers(version: str) -> dict[str, str]:
    """Response headers announcing that ``version`` is deprecated; empty when it is not.

    ``Deprecation: @<unix seconds>`` (RFC 9745) and ``Sunset: <HTTP-date>`` (RFC 8594).
    """
    try:
        release = _SUPPORTED_LINES[_line(version)]
    except (SchemaVersionError, KeyError):
        return {}
    if release not in DEPRECATED_SCHEMA_VERSIONS:
        return {}
    since, sunset = DEPRECATED_SCHEMA_VERSIONS[release]
    since_ts = int(datetime.combine(since, time(), tzinfo=UTC).timestamp())
    sunset_at = datetime.combine(sunset, time(), tzinfo=UTC)
    return {"Deprecation": f"@{since_ts}", "Sunset": format_datetime(sunset_at, usegmt=True)}


def deprecation_headers_for(data: object) -> dict[str, str]:
    """The deprecation headers a request body calls for: one signal or event, or a list of them.

    The first deprecated ``schema_version`` found decides; anything malformed is ignored here
    (the serializers refuse it).
    """
    items = data if isinstance(data, list) else [data]
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("schema_version"), str):
            headers = deprecation_headers(item["schema_version"])
            if headers:
                return headers
    return {}
