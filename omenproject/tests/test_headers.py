"""Security headers on every answer; HSTS and secure cookies under production settings."""

import json

import pytest

from omenproject.tests.helpers import production_env, run_python


@pytest.mark.audit("54")
@pytest.mark.django_db
def test_every_answer_carries_the_security_headers(client):
    for path in ("/healthz", "/api/v1/nowhere", "/admin/login/"):
        response = client.get(path)
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"
        csp = response["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp


@pytest.mark.audit("54")
@pytest.mark.django_db
def test_api_answers_are_never_cached_and_pages_are(client):
    assert client.get("/api/v1/nowhere")["Cache-Control"] == "no-store"
    assert client.get("/healthz").get("Cache-Control") != "no-store"


@pytest.mark.audit("54")
@pytest.mark.django_db
def test_no_origin_is_reflected_for_cors(client):
    response = client.get("/healthz", HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in response
    preflight = client.options("/metrics", HTTP_ORIGIN="https://evil.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
    assert "Access-Control-Allow-Origin" not in preflight


PROBE = """
import django, json, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omenproject.settings")
django.setup()
from django.conf import settings
from django.test import Client
response = Client().get("/healthz", secure=True, HTTP_HOST="omen.example")
print(json.dumps({"hsts": response.get("Strict-Transport-Security"), "session_secure": settings.SESSION_COOKIE_SECURE,
                  "csrf_secure": settings.CSRF_COOKIE_SECURE, "debug": settings.DEBUG}))
"""


@pytest.mark.audit("54")
def test_production_settings_send_hsts_and_use_secure_cookies(tmp_path):
    result = run_python(PROBE, production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["debug"] is False
    assert seen["hsts"].startswith("max-age=31536000")
    assert seen["session_secure"] and seen["csrf_secure"]
