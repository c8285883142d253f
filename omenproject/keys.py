"""The API key format and its hashing: pure functions, no database.

A key reads ``omen_<prefix>_<secret>``: the prefix (8 lowercase base32 characters) names the
key in lists and logs; the secret carries 32 random bytes. Only SHA-256 of the whole key is
stored, and comparisons are constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

KEY_PATTERN = re.compile(r"omen_([a-z2-7]{8})_([A-Za-z0-9_-]{43})")


def generate_key() -> tuple[str, str]:
    """A new (key, prefix). The key is shown once and never stored."""
    prefix = base64.b32encode(secrets.token_bytes(5)).decode().lower()
    secret = secrets.token_urlsafe(32)
    return f"omen_{prefix}_{secret}", prefix


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def parse_prefix(key: str) -> str | None:
    match = KEY_PATTERN.fullmatch(key)
    return match.group(1) if match else None


def key_matches(key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_key(key), stored_hash)
