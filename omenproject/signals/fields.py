"""Strict DRF fields: no type coercion, no naive datetimes, no NaN, no unknown keys."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError

from omenproject.signals.timeutil import TimestampError, parse_utc

# C0/C1 controls, and lone surrogates (valid in JSON escapes, not encodable as UTF-8).
_SINGLE_LINE_BAD = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_MULTI_LINE_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


class StrictCharField(serializers.CharField):
    """A string, and only a string: numbers are not silently turned into text.

    Text is NFC-normalised before the length check so the limit counts what is stored.
    """

    default_error_messages = {
        "invalid": "Not a valid string.",
        "control": "Control characters and lone surrogates are not allowed.",
    }

    def __init__(self, *, multiline: bool = False, **kwargs):
        self.multiline = multiline
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        bad = _MULTI_LINE_BAD if self.multiline else _SINGLE_LINE_BAD
        if bad.search(data):
            self.fail("control")
        return unicodedata.normalize("NFC", super().to_internal_value(data))


class StrictFloatField(serializers.FloatField):
    """A JSON number (not a string, not a boolean), finite, within its bounds."""

    default_error_messages = {
        "invalid": "A number is required.",
        "not_finite": "NaN and Infinity are not allowed.",
    }

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            self.fail("invalid")
        try:
            value = float(data)
        except OverflowError:
            self.fail("not_finite")
        if not math.isfinite(value):
            self.fail("not_finite")
        return value


@extend_schema_field(OpenApiTypes.DATETIME)
class UtcDateTimeField(serializers.Field):
    """An RFC 3339 datetime with an explicit offset, returned as an aware UTC datetime.

    DRF's DateTimeField would quietly read a naive time in the server's zone; this refuses it.
    """

    def to_internal_value(self, data):
        try:
            return parse_utc(data)
        except TimestampError as exc:
            raise ValidationError(str(exc), code="invalid") from None

    def to_representation(self, value):
        from omenproject.signals.timeutil import format_utc

        return format_utc(parse_utc(value))


class StrictSerializer(serializers.Serializer):
    """A serializer that rejects unknown keys, at whatever depth it is nested."""

    def to_internal_value(self, data):
        errors: dict = {}
        value = None
        try:
            value = super().to_internal_value(data)
        except ValidationError as exc:
            errors = dict(exc.detail) if isinstance(exc.detail, Mapping) else {"non_field_errors": exc.detail}
        if isinstance(data, Mapping):
            for key in data:
                if key not in self.fields or self.fields[key].read_only:
                    errors[str(key)] = [ErrorDetail("Unknown field.", code="unknown_field")]
        if errors:
            raise ValidationError(errors)
        return value


class IndexedListSerializer(serializers.ListSerializer):
    """A batch whose errors are keyed by item index (``{"3": {"title": [...]}}``), bad items only."""

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except ValidationError as exc:
            detail = exc.detail
            if isinstance(detail, list):
                raise ValidationError({str(i): item for i, item in enumerate(detail) if item}) from None
            if isinstance(detail, Mapping):  # DRF keys nested item errors by int
                raise ValidationError({str(key): item for key, item in detail.items()}) from None
            raise
