"""RFC 3339 timestamps, strictly: an explicit offset is required and output is always UTC ``Z``.

Pure logic, no Django import.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

# Date, 'T', time, optional fraction (at most microseconds), and a mandatory offset.
_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$"
)

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


class TimestampError(ValueError):
    """A timestamp that is malformed, naive, or outside the accepted range."""


def parse_utc(value: object) -> datetime:
    """An aware datetime or an RFC 3339 string with an offset -> an aware UTC datetime.

    Naive values are rejected: guessing their zone is how local time leaks in.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise TimestampError("The datetime has no UTC offset; send one (e.g. 'Z' or '+02:00').")
        moment = value.astimezone(UTC)
    elif isinstance(value, str):
        moment = _parse_text(value)
    else:
        raise TimestampError("Expected an RFC 3339 datetime string.")
    if not EARLIEST <= moment < LATEST:
        raise TimestampError("The datetime must be between 2000-01-01T00:00:00Z and 2100-01-01T00:00:00Z.")
    return moment


def _parse_text(text: str) -> datetime:
    match = _RFC3339.match(text)
    if match is None:
        if re.match(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$", text):
            raise TimestampError("The datetime has no UTC offset; send one (e.g. 'Z' or '+02:00').")
        raise TimestampError("Expected an RFC 3339 datetime like 2026-01-31T23:30:00-02:00.")
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    if sign == "-" and off_h == "00" and off_m == "00":
        # RFC 3339 section 4.3: -00:00 means "offset unknown", which is a naive time in disguise.
        raise TimestampError("The offset -00:00 means 'unknown'; send Z or the real offset.")
    offset = timedelta(0)
    if not zulu:
        if int(off_h) > 23 or int(off_m) > 59:
            raise TimestampError("The UTC offset is out of range.")
        offset = timedelta(hours=int(off_h), minutes=int(off_m)) * (-1 if sign == "-" else 1)
    micro = int((fraction or "0").ljust(6, "0"))
    try:
        local = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro)
    except ValueError as exc:
        raise TimestampError(f"Not a real date or time: {exc}.") from None
    return local.replace(tzinfo=timezone(offset)).astimezone(UTC)


def format_utc(moment: datetime) -> str:
    """An aware datetime -> ``YYYY-MM-DDTHH:MM:SS[.fraction]Z`` in UTC.

    The fraction has at most six digits, trailing zeros removed, and is omitted when zero, so
    one instant has exactly one spelling (this feeds the id hash).
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise TimestampError("Refusing to format a naive datetime.")
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += "." + f"{moment.microsecond:06d}".rstrip("0")
    return text + "Z"


def canonical_time(value: object) -> str:
    """Any accepted timestamp form -> its one canonical UTC spelling."""
    return format_utc(parse_utc(value))
