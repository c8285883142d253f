"""The order-independent digest of a set of signal ids (pure: no Django).

Each id contributes the first 8 bytes of ``SHA-256(id as UTF-8)`` read as a big-endian unsigned
64-bit integer; a set's digest is the sum of those terms modulo 2**64, as 16 lowercase hex
digits. Equal sets give equal digests in any order; the empty set gives ``0000000000000000``.
The store keeps each term as two 32-bit halves so that SQL can add them without overflow.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

MASK_64 = (1 << 64) - 1


def id_term_halves(signal_id: str) -> tuple[int, int]:
    """(high 32 bits, low 32 bits) of the id's digest term."""
    head = hashlib.sha256(signal_id.encode()).digest()[:8]
    return int.from_bytes(head[:4], "big"), int.from_bytes(head[4:], "big")


def combine(sum_hi: int, sum_lo: int) -> str:
    """The digest from the sums of the halves."""
    return f"{((int(sum_hi) << 32) + int(sum_lo)) & MASK_64:016x}"


def ids_digest(signal_ids: Iterable[str]) -> str:
    """The digest of ``signal_ids`` (each id counted once per occurrence)."""
    total_hi = total_lo = 0
    for signal_id in signal_ids:
        hi, lo = id_term_halves(signal_id)
        total_hi += hi
        total_lo += lo
    return combine(total_hi, total_lo)
