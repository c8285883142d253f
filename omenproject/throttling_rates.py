"""Rate strings such as ``600/min`` (no Django import: settings parse them at start)."""

_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"600/min"`` -> (600, 60)."""
    count, _, unit = rate.partition("/")
    if unit not in _UNITS or not count.isdigit() or int(count) < 1:
        raise ValueError(f"bad rate {rate!r} (expected N/s, N/min or N/hour)")
    return int(count), _UNITS[unit]
