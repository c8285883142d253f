"""RiskCast's partition digest ("sum64-sha256"), computed here over ledger ids (pure).

RiskCast is a remote service, so its documented algorithm is implemented again rather than
imported: each id contributes the first 8 bytes of SHA-256 of its UTF-8 bytes, read as a
big-endian unsigned 64-bit integer; the digest of a set is the sum of the terms modulo 2**64,
as 16 lowercase hex digits (``0000000000000000`` for no ids). Equal sets give equal digests
whatever the order, so a partition that matches is recognised without listing its ids.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

ALGORITHM = "sum64-sha256"
_MASK = (1 << 64) - 1


def id_term(signal_id: str) -> int:
    return int.from_bytes(hashlib.sha256(signal_id.encode()).digest()[:8], "big")


def format_digest(total: int) -> str:
    return f"{total & _MASK:016x}"


def ids_digest(signal_ids: Iterable[str]) -> str:
    total = 0
    for signal_id in signal_ids:
        total += id_term(signal_id)
    return format_digest(total)
