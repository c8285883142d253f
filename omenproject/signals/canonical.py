"""Canonical JSON and the hashes built on it: ``signal_id``, ``input_event_hash``, ``payload_hash``.

Pure logic, no Django import. The recipe is specified in docs/signal-contract.md so that another
implementation can reproduce every id byte for byte; change nothing here without a new recipe.
"""

from __future__ import annotations

import hashlib
import json
import math
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from omenproject.signals.timeutil import canonical_time, format_utc

_encode_basestring = json.encoder.encode_basestring

SIGNAL_ID_PREFIX = "sig_"
SIGNAL_ID_HEX_CHARS = 32

# Content lists that are sets: their order carries no meaning, so it must not change the id.
SET_FIELDS = ("regions", "chokepoints", "keywords")
# Content fields holding timestamps (top level and inside each evidence item).
TIME_FIELDS = ("observed_at",)


def _number(value: int | float | Decimal) -> str:
    """A number's one spelling: at most 15 significant digits, positional, no trailing zeros.

    15 significant digits is what a binary double always round-trips through decimal, so it
    erases representation noise (0.1 + 0.2 -> 0.3) while 1, 1.0 and 1.00 all become ``1``.
    """
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("NaN and Infinity have no JSON form.")
        value = Decimal(f"{value:.15g}")
    elif not value.is_finite():
        raise ValueError("NaN and Infinity have no JSON form.")
    if value == 0:
        return "0"  # also folds -0
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _string(value: str) -> str:
    # NFC so that a precomposed and a decomposed accent hash the same. The encoder is what
    # json.dumps(..., ensure_ascii=False) calls for a str (same bytes: UTF-8, escaping only
    # '"', '\' and control characters), without building a JSONEncoder per string.
    return _encode_basestring(unicodedata.normalize("NFC", value))


def _encode(value: object, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, (int, float, Decimal)):
        out.append(_number(value))
    elif isinstance(value, datetime):
        out.append(_string(format_utc(value)))
    elif isinstance(value, Mapping):
        items = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"Object keys must be strings, not {type(key).__name__}.")
            norm = unicodedata.normalize("NFC", key)
            if norm in items:
                raise ValueError(f"Duplicate key after normalisation: {norm!r}.")
            items[norm] = item
        out.append("{")
        for index, key in enumerate(sorted(items)):
            if index:
                out.append(",")
            out.append(_string(key))
            out.append(":")
            _encode(items[key], out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        raise TypeError(f"{type(value).__name__} has no canonical JSON form.")


def canonical_json(obj: object) -> bytes:
    """The canonical UTF-8 JSON bytes of ``obj``.

    Keys sorted by code point, no whitespace, strings NFC-normalised, numbers as in ``_number``,
    datetimes as UTC ``...Z`` strings. NaN/Infinity and non-JSON types raise.
    """
    out: list[str] = []
    _encode(obj, out)
    return "".join(out).encode("utf-8")


def canonical_content(content: Mapping) -> dict:
    """Validated signal content -> its canonical, JSON-ready form (what the envelope carries).

    Timestamps become UTC ``Z`` strings, the set-like lists are deduplicated and sorted, strings
    are NFC and numbers take their canonical spelling. Idempotent.
    """
    data = dict(content)
    data.pop("schema_version", None)  # the version labels the envelope, not the signal
    for field in TIME_FIELDS:
        if field in data:
            data[field] = canonical_time(data[field])
    for field in SET_FIELDS:
        if field in data and isinstance(data[field], (list, tuple)):
            data[field] = sorted({unicodedata.normalize("NFC", item) for item in data[field]})
    if isinstance(data.get("evidence"), (list, tuple)):
        data["evidence"] = [_canonical_evidence(item) for item in data["evidence"]]
    return json.loads(canonical_json(data))


def _canonical_evidence(item: Mapping) -> dict:
    item = dict(item)
    if "observed_at" in item:
        item["observed_at"] = canonical_time(item["observed_at"])
    return item


def sha256_hex(data: bytes) -> str:
    """Lowercase hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def input_event_hash_of(content: Mapping) -> str:
    """SHA-256 (64 lowercase hex) of the canonical JSON of the canonical content."""
    return sha256_hex(canonical_json(canonical_content(content)))


def signal_id_of(content: Mapping) -> str:
    """``sig_`` + the first 32 hex digits of ``input_event_hash_of(content)``."""
    return content_ids(content)[0]


def content_ids(content: Mapping, *, canonical: bool = False) -> tuple[str, str]:
    """``(signal_id_of(content), input_event_hash_of(content))``, hashing the content once.

    ``canonical=True`` says ``content`` is already ``canonical_content``'s output; that function
    is idempotent, so it is not run a second time.
    """
    input_hash = sha256_hex(canonical_json(content)) if canonical else input_event_hash_of(content)
    return SIGNAL_ID_PREFIX + input_hash[:SIGNAL_ID_HEX_CHARS], input_hash
