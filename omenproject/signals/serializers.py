"""DRF serializers of the signal contract: what a producer sends, and the SignalEvent envelope.

The producer endpoint is a thin view over these::

    many = isinstance(request.data, list)
    ser = SignalInputSerializer(data=request.data, many=many)   # many: 1..MAX_BATCH items
    ser.is_valid(raise_exception=True)                           # 400 validation_error
    contents = ser.validated_data if many else [ser.validated_data]
    events = [build_event(c, trace_id=trace_id, emitted_at=now) for c in contents]
"""

from __future__ import annotations

from django.core.validators import RegexValidator, URLValidator
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from omenproject.signals import limits
from omenproject.signals.canonical import canonical_content, content_ids
from omenproject.signals.fields import (
    IndexedListSerializer,
    StrictCharField,
    StrictFloatField,
    StrictSerializer,
    UtcDateTimeField,
)
from omenproject.signals.timeutil import format_utc
from omenproject.signals.upgrades import UpgradeError, unsupported_error, upgrade_event
from omenproject.signals.versions import SchemaVersionError, is_supported, parse_version

_slug = RegexValidator(limits.SLUG_PATTERN, "Use letters, digits and . _ : - only, starting with a letter or digit.")
_http_url = URLValidator(schemes=["http", "https"], message="Enter a valid http or https URL.")


def _tags() -> serializers.ListField:
    return serializers.ListField(
        child=StrictCharField(max_length=limits.TAG_MAX),
        max_length=limits.TAGS_MAX_ITEMS,
        required=False,
        default=list,
    )


def _check_schema_version(value: str) -> str:
    """Semver and supported, else the 400 ``unsupported_schema_version`` naming the supported ones."""
    try:
        parse_version(value)
    except SchemaVersionError as exc:
        raise ValidationError(str(exc), code="invalid") from None
    if not is_supported(value):
        raise unsupported_error(value)
    return value


class EvidenceSerializer(StrictSerializer):
    """One piece of evidence: where it came from, its URL and when it was observed."""

    source = StrictCharField(max_length=limits.EVIDENCE_SOURCE_MAX)
    # A strict string first (no controls, no lone surrogates), then Django's URL grammar.
    url = StrictCharField(max_length=limits.URL_MAX, validators=[_http_url])
    observed_at = UtcDateTimeField()

    class Meta:
        list_serializer_class = IndexedListSerializer


class SignalInputSerializer(StrictSerializer):
    """What a producer sends for one signal (``many=True``: a batch of 1..MAX_BATCH).

    ``validated_data`` is the signal content (datetimes aware UTC; lists of tags as sent) ready
    for ``build_event``; ``schema_version``, when sent, is checked and then dropped: it labels
    the request, not the signal, and must not change the signal's id.
    """

    schema_version = StrictCharField(trim_whitespace=False, max_length=limits.SCHEMA_VERSION_MAX, required=False)
    source = StrictCharField(max_length=limits.SOURCE_MAX, validators=[_slug])
    source_event_id = StrictCharField(max_length=limits.SOURCE_EVENT_ID_MAX)
    title = StrictCharField(max_length=limits.TITLE_MAX)
    description = StrictCharField(
        max_length=limits.DESCRIPTION_MAX, multiline=True, required=False, allow_blank=True, default=""
    )
    category = serializers.ChoiceField(choices=limits.CATEGORIES)
    signal_type = StrictCharField(max_length=limits.SIGNAL_TYPE_MAX, validators=[_slug])
    probability = StrictFloatField(min_value=0.0, max_value=1.0)
    confidence = StrictFloatField(min_value=0.0, max_value=1.0)
    observed_at = UtcDateTimeField()
    regions = _tags()
    chokepoints = _tags()
    keywords = _tags()
    evidence = EvidenceSerializer(many=True, required=False, default=list, max_length=limits.EVIDENCE_MAX_ITEMS)
    ruleset_version = StrictCharField(max_length=limits.RULESET_VERSION_MAX, validators=[_slug])

    class Meta:
        list_serializer_class = IndexedListSerializer

    @classmethod
    def many_init(cls, *args, **kwargs):
        kwargs.setdefault("max_length", limits.MAX_BATCH)
        kwargs.setdefault("allow_empty", False)
        return super().many_init(*args, **kwargs)

    def validate_schema_version(self, value: str) -> str:
        return _check_schema_version(value)

    def validate(self, attrs: dict) -> dict:
        attrs.pop("schema_version", None)
        attrs["evidence"] = [dict(item) for item in attrs.get("evidence", [])]
        return attrs


class SignalEventSerializer(StrictSerializer):
    """A whole SignalEvent envelope, as it travels to RiskCast and sits in the ledger.

    An event of an older supported version is upgraded first. Its ``signal_id`` and
    ``input_event_hash`` must be the hashes of its content: a forged id is a validation error.
    ``validated_data`` is the JSON-ready, canonical, current-version event.
    """

    schema_version = StrictCharField(trim_whitespace=False, max_length=limits.SCHEMA_VERSION_MAX)
    signal_id = StrictCharField(max_length=64, validators=[RegexValidator(r"^sig_[0-9a-f]{32}$")])
    input_event_hash = StrictCharField(max_length=64, min_length=64, validators=[RegexValidator(r"^[0-9a-f]{64}$")])
    trace_id = StrictCharField(max_length=32, validators=[RegexValidator(limits.TRACE_ID_PATTERN)])
    observed_at = UtcDateTimeField()
    emitted_at = UtcDateTimeField()
    signal = SignalInputSerializer()

    def to_internal_value(self, data):
        if isinstance(data, dict) and isinstance(data.get("schema_version"), str):
            _check_schema_version_or_field_error(data["schema_version"])
            try:
                data = upgrade_event(data)
            except UpgradeError as exc:
                raise ValidationError({"schema_version": [str(exc)]}) from None
        return super().to_internal_value(data)

    def validate_schema_version(self, value: str) -> str:
        return _check_schema_version(value)

    def validate(self, attrs: dict) -> dict:
        signal = canonical_content(attrs["signal"])
        signal_id, input_hash = content_ids(signal, canonical=True)
        errors = {}
        if attrs["signal_id"] != signal_id:
            errors["signal_id"] = ["The signal_id is not the hash of the signal content."]
        if attrs["input_event_hash"] != input_hash:
            errors["input_event_hash"] = ["The input_event_hash is not the hash of the signal content."]
        if format_utc(attrs["observed_at"]) != signal["observed_at"]:
            errors["observed_at"] = ["The envelope observed_at differs from signal.observed_at."]
        if errors:
            raise ValidationError(errors)
        return {
            "schema_version": attrs["schema_version"],
            "signal_id": attrs["signal_id"],
            "input_event_hash": attrs["input_event_hash"],
            "trace_id": attrs["trace_id"],
            "observed_at": signal["observed_at"],
            "emitted_at": format_utc(attrs["emitted_at"]),
            "signal": signal,
        }


def _check_schema_version_or_field_error(value: str) -> None:
    try:
        _check_schema_version(value)
    except ValidationError as exc:
        raise ValidationError({"schema_version": exc.detail}) from None
