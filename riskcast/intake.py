"""Turn request JSON into ``IncomingSignal``s: strict contract validation, hash and partition.

Validation runs through ``SignalEventSerializer(many=True)`` even for one event: DRF builds a
serializer's nested fields per instance, and a list serializer builds them once for all its
items (about 3x cheaper per event here). Only when a batch holds invalid items are they
validated one by one, so that each bad item gets its own field details.

Even one list serializer per request costs more to build than one event costs to validate:
building a serializer's fields deep-copies every declared field, nested ones included. So each
thread keeps one ``SignalEventSerializer`` as the child and binds it to every new list
serializer. That is safe because validation keeps no state on the child or its fields (the
list serializer only calls ``child.run_validation``; results and errors live on the list
serializer), and a thread never validates two requests at once.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from rest_framework.exceptions import ValidationError
from rest_framework.serializers import ListSerializer

from omenproject.signals import SignalEventSerializer, partition_of, payload_hash
from omenproject.tracing import current_trace_id
from riskcast.services import IncomingSignal

_thread = threading.local()


def events_serializer(items: list) -> ListSerializer:
    """``SignalEventSerializer(data=items, many=True)`` whose child is this thread's own."""
    serializer = SignalEventSerializer(data=items, many=True)
    child = getattr(_thread, "event_child", None)
    if child is None:
        child = _thread.event_child = SignalEventSerializer()  # fields built on first use, then kept
        child.bind(field_name="", parent=serializer)
    else:
        child.parent = serializer  # all that bind() changes once field_name and source are set
    serializer.child = child
    return serializer


def incoming(valid: dict) -> IncomingSignal:
    """``valid`` is the serializer's canonical, current-version, JSON-ready event."""
    return IncomingSignal(
        signal_id=valid["signal_id"],
        payload_hash=payload_hash(valid, canonical=True),
        event=valid,
        partition=partition_of(valid),
        trace_id=valid.get("trace_id") or current_trace_id(),
    )


def _field_errors(detail) -> dict:
    return detail if isinstance(detail, dict) else {"non_field_errors": detail}


def validate_one(item: object) -> IncomingSignal:
    """One envelope, or ``ValidationError`` with the envelope's field details."""
    if not isinstance(item, dict):
        raise ValidationError({"non_field_errors": ["Expected a SignalEvent object."]})
    serializer = events_serializer([item])
    if not serializer.is_valid():
        errors = serializer.errors
        # The list's errors are keyed (or indexed) by item: unwrap item 0.
        detail = (errors.get(0) or errors.get("0") or errors) if isinstance(errors, dict) else errors[0]
        raise ValidationError(_field_errors(detail))
    return incoming(serializer.validated_data[0])


def validate_many(items: Sequence[object]) -> list[IncomingSignal | dict]:
    """Each item's ``IncomingSignal``, or its field errors (a dict) when it is invalid."""
    if all(isinstance(item, dict) for item in items):
        serializer = events_serializer(list(items))
        if serializer.is_valid():
            return [incoming(valid) for valid in serializer.validated_data]
    results: list[IncomingSignal | dict] = []
    for item in items:
        try:
            results.append(validate_one(item))
        except ValidationError as exc:
            results.append(_field_errors(exc.detail))
    return results
