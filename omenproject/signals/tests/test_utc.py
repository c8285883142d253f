"""Audit 09: datetimes carry an offset, become UTC, are written with ``Z``; partitions are UTC dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.conf import settings
from hypothesis import given
from hypothesis import strategies as st

from omenproject.signals import SignalEventSerializer, SignalInputSerializer, build_event, partition_of
from omenproject.signals.tests.builders import EMITTED, TRACE, make_event, make_evidence, make_signal
from omenproject.signals.timeutil import TimestampError, format_utc, parse_utc

pytestmark = pytest.mark.audit("09")


def validated(**overrides) -> dict:
    serializer = SignalInputSerializer(data=make_signal(**overrides))
    assert serializer.is_valid(), serializer.errors
    return serializer.validated_data


def test_the_project_runs_on_utc():
    assert settings.USE_TZ is True
    assert settings.TIME_ZONE == "UTC"


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("2026-12-03T23:30:00-02:00", "2026-12-04T01:30:00Z"),
        ("2026-12-04T07:00:00+05:30", "2026-12-04T01:30:00Z"),
        ("2026-12-04T01:30:00z", "2026-12-04T01:30:00Z"),
        ("2026-12-04t01:30:00.250+00:00", "2026-12-04T01:30:00.25Z"),
        ("2026-12-04T01:30:00.000000Z", "2026-12-04T01:30:00Z"),
    ],
)
def test_offsets_are_normalised_to_z(sent, stored):
    event = build_event(validated(observed_at=sent), trace_id=TRACE, emitted_at=EMITTED)
    assert event["observed_at"] == stored
    assert event["signal"]["observed_at"] == stored


def test_evidence_times_are_normalised_to_z_too():
    event = make_event(evidence=[make_evidence(observed_at="2026-12-03T22:00:00-03:00")])
    assert event["signal"]["evidence"][0]["observed_at"] == "2026-12-04T01:00:00Z"


def test_validated_datetimes_are_aware_utc():
    observed = validated(observed_at="2026-12-03T23:30:00-02:00")["observed_at"]
    assert observed.utcoffset() == timedelta(0)
    assert observed == datetime(2026, 12, 4, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    ["2026-12-03T23:30:00", "2026-12-03T23:30:00.5", "2026-12-03 23:30:00", "2026-12-03T23:30:00-00:00"],
)
def test_naive_datetimes_are_rejected(value):
    serializer = SignalInputSerializer(data=make_signal(observed_at=value))
    assert not serializer.is_valid()
    assert "observed_at" in serializer.errors


def test_a_naive_python_datetime_is_rejected_everywhere():
    naive = datetime(2026, 12, 3, 23, 30)
    with pytest.raises(TimestampError):
        parse_utc(naive)
    with pytest.raises(TimestampError):
        build_event(validated(), trace_id=TRACE, emitted_at=naive)
    with pytest.raises(TimestampError):
        format_utc(naive)


def test_the_envelope_rejects_a_naive_emitted_at():
    serializer = SignalEventSerializer(data=make_event() | {"emitted_at": "2026-12-04T01:31:00"})
    assert not serializer.is_valid()
    assert "emitted_at" in serializer.errors


def test_the_envelope_normalises_an_offset_emitted_at_to_z():
    serializer = SignalEventSerializer(data=make_event() | {"emitted_at": "2026-12-03T23:31:00-02:00"})
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["emitted_at"] == "2026-12-04T01:31:00Z"


def test_a_signal_at_2330_minus_two_lands_in_the_next_utc_day():
    local = timezone(timedelta(hours=-2))
    at = datetime(2026, 12, 3, 23, 30, tzinfo=local)
    event = build_event(validated(observed_at="2026-12-03T23:30:00-02:00"), trace_id=TRACE, emitted_at=at)
    assert event["emitted_at"] == "2026-12-04T01:30:00Z"
    assert partition_of(event) == "2026-12-04"


def test_the_partition_is_the_utc_date_even_for_an_offset_string():
    assert partition_of({"emitted_at": "2026-12-31T23:59:59-00:01"}) == "2027-01-01"
    assert partition_of({"emitted_at": "2027-01-01T00:30:00+01:00"}) == "2026-12-31"


offsets = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
instants = st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2098, 12, 31), timezones=offsets)


@given(observed=instants, emitted=instants)
def test_build_event_always_writes_z_times(observed, emitted):
    content = validated(observed_at=observed.isoformat())
    event = build_event(content, trace_id=TRACE, emitted_at=emitted)
    for value in (event["observed_at"], event["emitted_at"], event["signal"]["observed_at"]):
        assert value.endswith("Z")
        assert "+" not in value
        assert parse_utc(value) in (observed, emitted)
    assert partition_of(event) == emitted.astimezone(UTC).date().isoformat()


@pytest.mark.parametrize("value", ["1999-12-31T23:59:59Z", "2100-01-01T00:00:00Z", "2026-02-30T00:00:00Z"])
def test_implausible_or_impossible_dates_are_rejected(value):
    assert not SignalInputSerializer(data=make_signal(observed_at=value)).is_valid()
