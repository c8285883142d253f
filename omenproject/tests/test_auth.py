"""API keys: random, shown once, stored hashed, scoped, revocable, expiring."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from omenproject import keys
from omenproject.models import ApiKey
from omenproject.services import apikey_revoke

pytestmark = [pytest.mark.urls("omenproject.tests.urls"), pytest.mark.django_db]
ECHO = "/api/v1/test/echo"
GOOD = {"name": "ok", "count": 1}


def post(api_client, key=None, **headers):
    if key:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return api_client.post(ECHO, GOOD, format="json", **headers)


@pytest.mark.audit("52")
def test_keys_carry_32_random_bytes_and_only_their_hash_is_stored(make_api_key):
    key = make_api_key("signals:write")
    prefix = keys.parse_prefix(key)
    secret = key.split("_", 2)[2]
    assert len(secret) == 43  # 32 bytes, urlsafe base64
    record = ApiKey.objects.get(prefix=prefix)
    assert record.key_hash == keys.hash_key(key) and key not in str(record.__dict__)
    assert make_api_key("signals:write") != key


@pytest.mark.audit("52")
def test_a_missing_key_is_401_auth_required(api_client):
    response = post(api_client)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "auth_required"


@pytest.mark.audit("52")
@pytest.mark.parametrize("bad", ["omen_aaaaaaaa_" + "A" * 43, "garbage", ""])
def test_an_unknown_key_is_401_auth_invalid(api_client, bad):
    response = post(api_client, HTTP_X_API_KEY=bad) if bad else post(api_client, key="omen_x")
    assert response.status_code == 401
    assert response.json()["error"]["code"] in {"auth_invalid", "auth_required"}
    if bad:
        assert response.json()["error"]["code"] == "auth_invalid"


@pytest.mark.audit("52")
def test_a_key_that_differs_only_in_its_secret_is_refused(api_client, make_api_key):
    key = make_api_key("signals:write")
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    assert post(api_client, forged).json()["error"]["code"] == "auth_invalid"


@pytest.mark.audit("52")
def test_a_revoked_key_is_401_auth_invalid(api_client, make_api_key):
    key = make_api_key("signals:write")
    assert post(api_client, key).status_code == 201
    assert apikey_revoke(prefix=keys.parse_prefix(key))
    response = post(api_client, key)
    assert response.status_code == 401 and response.json()["error"]["code"] == "auth_invalid"


@pytest.mark.audit("52")
def test_an_expired_key_is_401_auth_invalid(api_client, make_api_key):
    key = make_api_key("signals:write", expires_at=timezone.now() - timedelta(seconds=1))
    assert post(api_client, key).json()["error"]["code"] == "auth_invalid"


@pytest.mark.audit("52")
def test_a_key_without_the_scope_is_403_forbidden_scope(api_client, make_api_key):
    response = post(api_client, make_api_key("signals:read"))
    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "forbidden_scope",
        "message": "The API key lacks the scope this endpoint needs.",
        "details": {"required_scope": "signals:write"},
        "trace_id": response["X-Trace-Id"],
    }


@pytest.mark.audit("52")
def test_a_key_with_the_scope_passes_and_records_its_last_use(api_client, make_api_key):
    key = make_api_key("signals:write")
    assert post(api_client, key, HTTP_X_API_KEY="").status_code == 201
    assert ApiKey.objects.get(prefix=keys.parse_prefix(key)).last_used_at is not None
    assert api_client.post(ECHO, GOOD, format="json", HTTP_X_API_KEY=key).status_code == 201


@pytest.mark.audit("52")
def test_keys_are_compared_in_constant_time(api_client, make_api_key, monkeypatch):
    calls = []
    real = keys.hmac.compare_digest
    monkeypatch.setattr(keys.hmac, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    post(api_client, make_api_key("signals:write"))
    assert calls


@pytest.mark.audit("52")
def test_the_bootstrap_key_from_the_environment_works_with_its_scopes(api_client, settings):
    key, _ = keys.generate_key()
    settings.OMEN_BOOTSTRAP_API_KEY = key
    settings.OMEN_BOOTSTRAP_API_KEY_SCOPES = ["signals:write"]
    assert post(api_client, key).status_code == 201
    settings.OMEN_BOOTSTRAP_API_KEY_SCOPES = ["signals:read"]
    assert post(api_client, key).status_code == 403


@pytest.mark.audit("52")
def test_the_apikey_command_creates_lists_and_revokes(api_client):
    out, err = StringIO(), StringIO()
    call_command("apikey", "create", "--name", "producer", "--scopes", "signals:write", stdout=out, stderr=err)
    key = out.getvalue().strip()
    prefix = keys.parse_prefix(key)
    assert prefix and "not shown again" in err.getvalue()
    listing = StringIO()
    call_command("apikey", "list", stdout=listing)
    assert prefix in listing.getvalue() and key not in listing.getvalue()
    assert post(api_client, key).status_code == 201
    call_command("apikey", "revoke", prefix, stdout=StringIO())
    assert post(api_client, key).status_code == 401


def test_the_apikey_command_refuses_unknown_scopes():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="unknown scope"):
        call_command("apikey", "create", "--name", "x", "--scopes", "root:all", stdout=StringIO())


@pytest.mark.audit("52")
def test_the_admin_shows_keys_without_secrets_and_revokes_them(admin_client, make_api_key):
    key = make_api_key("signals:write")
    page = admin_client.get("/admin/omenproject/apikey/").content.decode()
    assert keys.parse_prefix(key) in page and key not in page
    record = ApiKey.objects.get(prefix=keys.parse_prefix(key))
    admin_client.post("/admin/omenproject/apikey/", {"action": "revoke", "_selected_action": [record.pk]})
    record.refresh_from_db()
    assert record.revoked_at is not None
