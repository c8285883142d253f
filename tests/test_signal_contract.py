"""The signal contract as documented: deprecation headers on real requests, and the docs' examples."""

from __future__ import annotations

import json

import pytest

from omenproject.signals.versions import CURRENT_SCHEMA_VERSION, DEPRECATED_SCHEMA_VERSIONS
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
