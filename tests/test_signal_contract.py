"""The signal contract as documented: deprecation headers on real requests, and the docs' examples."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from omenproject.signals import (
    SignalEventSerializer,
    SignalInputSerializer,
    canonical_json,
    input_event_hash_of,
    limits,
    payload_hash,
    signal_id_of,
)
from omenproject.signals.canonical import canonical_content
from omenproject.signals.versions import CURRENT_SCHEMA_VERSION, DEPRECATED_SCHEMA_VERSIONS, SUPPORTED_SCHEMA_VERSIONS
from omenproject.testing.builders import make_signal

URL = "/api/v1/signals"


def post(client, body):
    return client.post(URL, json.dumps(body), content_type="application/json")


@pytest.fixture
def producer(client_with_scopes):
    return client_with_scopes("signals:write")


@pytest.mark.audit("12")
@pytest.mark.django_db
def test_a_deprecated_schema_version_is_accepted_and_announced_with_deprecation_and_sunset(producer, node):
    (deprecated,) = DEPRECATED_SCHEMA_VERSIONS
    response = post(producer, make_signal(schema_version=deprecated))
    assert response.status_code == 201, response.content
    assert response["Deprecation"] == "@1796083200"  # 2026-12-01T00:00:00Z
    assert response["Sunset"] == "Tue, 01 Jun 2027 00:00:00 GMT"


@pytest.mark.audit("12")
@pytest.mark.django_db
def test_a_batch_with_one_deprecated_version_is_announced_too(producer, node):
    (deprecated,) = DEPRECATED_SCHEMA_VERSIONS
    response = post(producer, [make_signal(), make_signal(schema_version=deprecated)])
    assert response.status_code == 201, response.content
    assert response["Deprecation"].startswith("@") and response["Sunset"].endswith("GMT")


@pytest.mark.audit("12")
@pytest.mark.django_db
def test_the_current_version_and_no_version_carry_no_deprecation(producer, node):
    for body in (make_signal(schema_version=CURRENT_SCHEMA_VERSION), make_signal()):
        response = post(producer, body)
        assert response.status_code == 201
        assert not response.has_header("Deprecation") and not response.has_header("Sunset")


# --- docs/signal-contract.md: the example is recomputed from the page itself -----------------

CONTRACT = Path(__file__).resolve().parents[1] / "docs" / "signal-contract.md"


def doc_block(name: str) -> str:
    """The fenced block right after ``<!-- example:<name> -->`` in docs/signal-contract.md."""
    match = re.search(rf"<!-- example:{name} -->\n```[a-z]*\n(.*?)\n```", CONTRACT.read_text(), re.S)
    assert match, f"no example:{name} block"
    return match.group(1)


def doc_row(field: str) -> str:
    (row,) = [line for line in CONTRACT.read_text().splitlines() if line.startswith(f"| `{field}` |")][:1]
    return row


@pytest.mark.audit("10")
def test_the_documented_example_ids_are_the_recipe_output_of_the_documented_request():
    request = json.loads(doc_block("request"))
    response = json.loads(doc_block("response"))
    serializer = SignalInputSerializer(data=request)
    assert serializer.is_valid(), serializer.errors
    content = serializer.validated_data
    canonical = doc_block("canonical").encode()
    assert canonical_json(canonical_content(content)) == canonical
    assert hashlib.sha256(canonical).hexdigest() == input_event_hash_of(content)
    assert response["signal_id"] == signal_id_of(content) == "sig_" + hashlib.sha256(canonical).hexdigest()[:32]


@pytest.mark.audit("10")
def test_the_documented_envelope_is_valid_and_its_payload_hash_is_the_documented_one():
    event = json.loads(doc_block("event"))
    checked = SignalEventSerializer(data=event)
    assert checked.is_valid(), checked.errors
    request = SignalInputSerializer(data=json.loads(doc_block("request")))
    assert request.is_valid(), request.errors
    assert event["signal"] == canonical_content(request.validated_data)
    documented = re.search(r"Its `payload_hash` \(.*?\) is\s+`([0-9a-f]{64})`", CONTRACT.read_text(), re.S).group(1)
    assert payload_hash(event) == documented
    assert event["signal_id"] == json.loads(doc_block("response"))["signal_id"]


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        ("source", limits.SOURCE_MAX),
        ("source_event_id", limits.SOURCE_EVENT_ID_MAX),
        ("title", limits.TITLE_MAX),
        ("description", limits.DESCRIPTION_MAX),
        ("signal_type", limits.SIGNAL_TYPE_MAX),
        ("ruleset_version", limits.RULESET_VERSION_MAX),
        ("regions", limits.TAGS_MAX_ITEMS),
        ("regions", limits.TAG_MAX),
        ("evidence", limits.EVIDENCE_MAX_ITEMS),
        ("evidence[].source", limits.EVIDENCE_SOURCE_MAX),
        ("evidence[].url", limits.URL_MAX),
        ("schema_version", limits.SCHEMA_VERSION_MAX),
    ],
)
def test_the_documented_limits_are_the_code_limits(field, limit):
    assert re.search(rf"\b{limit}\b", doc_row(field)), doc_row(field)


def test_the_documented_batch_limit_categories_and_versions_are_the_code_ones():
    text = CONTRACT.read_text()
    assert f"**1 to {limits.MAX_BATCH}**" in text
    assert all(f"`{category}`" in doc_row("category") for category in limits.CATEGORIES)
    assert f"`SUPPORTED_SCHEMA_VERSIONS` = {', '.join(f'`{v}`' for v in SUPPORTED_SCHEMA_VERSIONS)}" in text
    assert f"current `{CURRENT_SCHEMA_VERSION}`" in text


# --- docs/compatibility.md ----------------------------------------------------------------------

COMPATIBILITY = Path(__file__).resolve().parents[1] / "docs" / "compatibility.md"


def as_0_9(event: dict) -> dict:
    """The record as 0.9.0 wrote it: flat, without input_event_hash."""
    old = {key: event[key] for key in ("signal_id", "trace_id", "emitted_at")}
    return old | event["signal"] | {"schema_version": "0.9.0"}


@pytest.mark.audit("12")
@pytest.mark.django_db(databases=["default", "riskcast"])
def test_riskcast_announces_the_deprecation_of_an_old_envelope_it_accepts(client_with_scopes):
    from omenproject.signals.tests.builders import make_event

    old = as_0_9(make_event())
    response = client_with_scopes("riskcast:ingest").post(
        "/api/v1/riskcast/ingest", json.dumps(old), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert response["Deprecation"] == "@1796083200" and response["Sunset"] == "Tue, 01 Jun 2027 00:00:00 GMT"
    assert response.json()["signal_id"] == old["signal_id"]


@pytest.mark.audit("12")
def test_the_documented_deprecation_dates_are_the_code_ones():
    text = COMPATIBILITY.read_text()
    for version, (since, sunset) in DEPRECATED_SCHEMA_VERSIONS.items():
        assert since < sunset
        row = next(line for line in text.splitlines() if line.startswith(f"| `{version}` |"))
        assert f"deprecated since **{since.isoformat()}**, sunset **{sunset.isoformat()}**" in row
    for version in SUPPORTED_SCHEMA_VERSIONS:
        assert f"| `{version}` |" in text


@pytest.mark.audit("12")
def test_a_retired_version_keeps_its_upgrade_step_so_its_records_stay_readable():
    from omenproject.signals.upgrades import STEPS
    from omenproject.signals.versions import RETIRED_SCHEMA_VERSIONS

    for version in RETIRED_SCHEMA_VERSIONS + tuple(v for v in SUPPORTED_SCHEMA_VERSIONS if v != CURRENT_SCHEMA_VERSION):
        assert version in STEPS, f"{version} lost its upgrade step: its ledger records would become unreadable"
