"""Rate limits per key and scope (per client IP when anonymous), and the body size limit."""

import pytest

from omenproject.tests.test_auth import ECHO, GOOD
from omenproject.throttling_rates import parse_rate

pytestmark = [pytest.mark.urls("omenproject.tests.urls"), pytest.mark.django_db]


@pytest.fixture
def three_per_minute(settings):
    settings.OMEN_RATE_LIMITS = {**settings.OMEN_RATE_LIMITS, "signals:write": "3/min", "anonymous": "2/min"}


@pytest.mark.audit("53")
def test_a_key_over_its_scope_limit_gets_429_with_retry_after(three_per_minute, client_with_scopes):
    client = client_with_scopes("signals:write")
    statuses = [client.post(ECHO, GOOD, format="json").status_code for _ in range(4)]
    assert statuses == [201, 201, 201, 429]
    response = client.post(ECHO, GOOD, format="json")
    assert response.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 61


@pytest.mark.audit("53")
def test_each_key_has_its_own_budget(three_per_minute, client_with_scopes):
    first, second = client_with_scopes("signals:write"), client_with_scopes("signals:write")
    for _ in range(3):
        first.post(ECHO, GOOD, format="json")
    assert first.post(ECHO, GOOD, format="json").status_code == 429
    assert second.post(ECHO, GOOD, format="json").status_code == 201


@pytest.mark.audit("53")
def test_anonymous_callers_are_limited_per_client_ip(three_per_minute, api_client):
    statuses = [api_client.post(ECHO, GOOD, format="json").status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    other_ip = api_client.post(ECHO, GOOD, format="json", REMOTE_ADDR="10.9.9.9")
    assert other_ip.status_code == 401


@pytest.mark.audit("53")
def test_a_body_over_the_limit_is_413_before_it_is_parsed(client_with_scopes, settings):
    settings.OMEN_MAX_BODY_BYTES = 2048
    client = client_with_scopes("signals:write")
    response = client.post(ECHO, '{"name": "' + "x" * 4096 + '"}', content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert response.json()["error"]["details"]["limit_bytes"] == 2048


def test_rates_parse_and_bad_rates_are_refused():
    assert parse_rate("600/min") == (600, 60)
    assert parse_rate("5/s") == (5, 1)
    for bad in ("0/min", "ten/min", "5/fortnight", "5"):
        with pytest.raises(ValueError):
            parse_rate(bad)
