"""Audit 11: every event carries a supported semver ``schema_version``; old ones are upgraded."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omenproject.errors import UnsupportedSchemaVersion, exception_handler
from omenproject.signals import (
    CURRENT_SCHEMA_VERSION,
    SUPPORTED_SCHEMA_VERSIONS,
    SignalEventSerializer,
    SignalInputSerializer,
    payload_hash,
    upgrade_event,
)
from omenproject.signals.tests.builders import make_event, make_signal
from omenproject.signals.upgrades import STEPS, UpgradeError
from omenproject.signals.versions import (
    SchemaVersionError,
    deprecation_headers,
    is_supported,
    parse_version,
    release_of,
)

pytestmark = pytest.mark.audit("11")


def as_0_9(event: dict) -> dict:
    """The same record as 0.9.0 wrote it: flat, without input_event_hash."""
    old = {key: event[key] for key in ("signal_id", "trace_id", "emitted_at")}
    old.update(event["signal"])
    old["schema_version"] = "0.9.0"
    return old


def test_every_event_carries_the_current_semver_version():
    event = make_event()
    assert event["schema_version"] == CURRENT_SCHEMA_VERSION
    assert parse_version(event["schema_version"])


def test_the_supported_versions_are_semver_and_include_the_current_one():
    assert CURRENT_SCHEMA_VERSION in SUPPORTED_SCHEMA_VERSIONS
    for version in SUPPORTED_SCHEMA_VERSIONS:
        parse_version(version)


@pytest.mark.parametrize("version", ["1", "1.0", "v1.0.0", "1.0.0-beta", "01.0.0", "1.0.0 ", ""])
def test_a_version_that_is_not_semver_is_a_validation_error(version):
    with pytest.raises(SchemaVersionError):
        parse_version(version)
    serializer = SignalInputSerializer(data=make_signal(schema_version=version))
    assert not serializer.is_valid()
    assert "schema_version" in serializer.errors


@pytest.mark.parametrize("version", ["2.0.0", "3.1.4", "0.8.0", "1.1.0", "999999.0.0"])
def test_an_unsupported_version_is_refused_naming_the_supported_ones(version):
    serializer = SignalInputSerializer(data=make_signal(schema_version=version))
    with pytest.raises(UnsupportedSchemaVersion) as caught:
        serializer.is_valid()
    response = exception_handler(caught.value, {})
    assert response.status_code == 400
    error = response.data["error"]
    assert error["code"] == "unsupported_schema_version"
    assert error["details"]["supported"] == list(SUPPORTED_SCHEMA_VERSIONS)
    for supported in SUPPORTED_SCHEMA_VERSIONS:
        assert supported in error["message"]


def test_an_envelope_of_an_unsupported_major_is_refused():
    with pytest.raises(UnsupportedSchemaVersion):
        SignalEventSerializer(data=make_event() | {"schema_version": "2.0.0"}).is_valid()
    with pytest.raises(UnsupportedSchemaVersion):
        upgrade_event(make_event() | {"schema_version": "2.0.0"})


def test_an_envelope_without_a_version_is_a_validation_error():
    event = make_event()
    del event["schema_version"]
    serializer = SignalEventSerializer(data=event)
    assert not serializer.is_valid()
    assert "schema_version" in serializer.errors


@pytest.mark.parametrize("version", ["1.0.0", "1.0.7", "0.9.0", "0.9.3"])
def test_a_supported_line_is_accepted_from_producers_whatever_its_patch(version):
    serializer = SignalInputSerializer(data=make_signal(schema_version=version))
    assert serializer.is_valid(), serializer.errors
    assert "schema_version" not in serializer.validated_data


def test_the_declared_version_does_not_change_the_id():
    def id_for(version):
        serializer = SignalInputSerializer(data=make_signal(schema_version=version))
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    assert id_for("0.9.0") == id_for("1.0.0")


def test_a_0_9_record_is_upgraded_to_the_current_shape():
    event = make_event()
    assert upgrade_event(as_0_9(event)) == event


def test_the_envelope_serializer_reads_a_0_9_record_as_current():
    event = make_event()
    serializer = SignalEventSerializer(data=as_0_9(event))
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data == event


def test_a_0_9_record_and_its_upgrade_have_one_payload_hash():
    event = make_event()
    assert payload_hash(as_0_9(event)) == payload_hash(event)


def test_a_patch_release_is_read_as_its_line():
    event = make_event() | {"schema_version": "1.0.5"}
    assert upgrade_event(event)["schema_version"] == "1.0.0"
    assert upgrade_event(as_0_9(make_event()) | {"schema_version": "0.9.2"}) == make_event()


def test_a_current_event_passes_through_unchanged_and_unmutated():
    event = make_event()
    before = dict(event)
    assert upgrade_event(event) == before
    old = as_0_9(event)
    snapshot = dict(old)
    upgrade_event(old)
    assert old == snapshot


def test_a_forged_0_9_record_is_refused_on_upgrade():
    old = as_0_9(make_event())
    old["title"] = "Tampered"
    with pytest.raises(UpgradeError):
        upgrade_event(old)
    serializer = SignalEventSerializer(data=old)
    assert not serializer.is_valid()
    assert "schema_version" in serializer.errors


def test_a_0_9_record_that_is_not_flat_is_refused():
    with pytest.raises(UpgradeError):
        upgrade_event(make_event() | {"schema_version": "0.9.0"})


def test_every_old_version_has_a_path_to_the_current_one():
    for version in SUPPORTED_SCHEMA_VERSIONS:
        release, hops = release_of(version), 0
        while release != CURRENT_SCHEMA_VERSION:
            release, hops = STEPS[release][0], hops + 1
            assert hops < 100
    assert set(STEPS) | {CURRENT_SCHEMA_VERSION} >= set(SUPPORTED_SCHEMA_VERSIONS)


@given(major=st.integers(0, 50), minor=st.integers(0, 50), patch=st.integers(0, 50))
def test_support_is_decided_by_major_and_minor_only(major, minor, patch):
    lines = {parse_version(v)[:2] for v in SUPPORTED_SCHEMA_VERSIONS}
    assert is_supported(f"{major}.{minor}.{patch}") == ((major, minor) in lines)


@pytest.mark.audit("12")
def test_a_deprecated_version_is_announced_with_deprecation_and_sunset_headers():
    headers = deprecation_headers("0.9.1")
    assert headers["Deprecation"] == "@1796083200"  # 2026-12-01T00:00:00Z
    assert headers["Sunset"] == "Tue, 01 Jun 2027 00:00:00 GMT"
    assert deprecation_headers(CURRENT_SCHEMA_VERSION) == {}
    assert deprecation_headers("2.0.0") == {}
