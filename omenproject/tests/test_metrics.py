"""/metrics speaks Prometheus text, behind the metrics:read scope unless configured open."""

import pytest

pytestmark = [pytest.mark.urls("omenproject.tests.urls"), pytest.mark.django_db]


@pytest.mark.audit("48")
def test_metrics_need_the_metrics_read_scope(api_client, client_with_scopes):
    assert api_client.get("/metrics").status_code == 401
    assert client_with_scopes("signals:write").get("/metrics").status_code == 403
    response = client_with_scopes("metrics:read").get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.audit("48")
def test_metrics_carry_django_and_project_families(client_with_scopes, api_client):
    api_client.get("/api/v1/test/boom")
    text = client_with_scopes("metrics:read").get("/metrics").content.decode()
    assert "django_http_requests_latency_seconds_by_view_method" in text
    assert 'omen_errors_total{code="internal_error"}' in text


@pytest.mark.audit("48")
def test_metrics_can_be_served_open_on_an_internal_address(api_client, settings):
    settings.OMEN_METRICS_ACCESS = "open"
    assert api_client.get("/metrics").status_code == 200
