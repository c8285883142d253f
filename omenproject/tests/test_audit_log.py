"""Every mutating API call, admin change and key change leaves an audit event."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import User

from omenproject import keys
from omenproject.models import AuditEvent
from omenproject.services import apikey_create, apikey_revoke, audit_record
from omenproject.tests.test_auth import ECHO, GOOD

pytestmark = [pytest.mark.urls("omenproject.tests.urls"), pytest.mark.django_db]
TRACE = "0af7651916cd43dd8448eb211c80319c"


@pytest.mark.audit("55")
def test_a_mutating_api_call_is_audited_with_actor_outcome_ip_and_trace(client_with_scopes, make_api_key):
    key = make_api_key("signals:write")
    client = client_with_scopes()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    response = client.post(ECHO, GOOD, format="json", HTTP_X_TRACE_ID=TRACE, REMOTE_ADDR="192.0.2.7")
    assert response.status_code == 201
    event = AuditEvent.objects.filter(action="api.test-echo").get()
    assert event.actor == f"key:{keys.parse_prefix(key)}"
    assert (event.outcome, event.client_ip, event.trace_id, event.target) == ("201", "192.0.2.7", TRACE, ECHO)
    assert event.at.tzinfo is not None and event.at.utcoffset().total_seconds() == 0


@pytest.mark.audit("55")
def test_refused_calls_are_audited_too(api_client):
    api_client.post(ECHO, GOOD, format="json")
    assert AuditEvent.objects.filter(action="api.test-echo", actor="anonymous", outcome="401").exists()


@pytest.mark.audit("55")
def test_reads_are_not_audited(client):
    client.get("/api/v1/test/boom")
    assert not AuditEvent.objects.filter(action__startswith="api.").exists()


@pytest.mark.audit("55")
def test_key_creation_and_revocation_are_audited():
    record, _ = apikey_create(name="ops", scopes=["ops:ledger"], actor="user:alice")
    apikey_revoke(prefix=record.prefix, actor="user:bob")
    actions = list(AuditEvent.objects.filter(target=record.prefix).values_list("action", "actor").order_by("id"))
    assert actions == [("apikey.create", "user:alice"), ("apikey.revoke", "user:bob")]


@pytest.mark.audit("55")
def test_admin_changes_are_audited(admin_client):
    admin_client.post(
        "/admin/auth/user/add/",
        {"username": "newbie", "password1": "x7!Lq9#vTz2m", "password2": "x7!Lq9#vTz2m", "usePasswordAuth": "true"},
    )
    assert User.objects.filter(username="newbie").exists()
    assert AuditEvent.objects.filter(action="admin.add", actor="user:admin").exists()


@pytest.mark.audit("55")
def test_the_audit_log_is_read_only_in_the_admin(admin_client, rf):
    event = audit_record(actor="cli", action="ledger.seal", target="2026-12-01")
    model_admin = admin.site._registry[AuditEvent]
    request = rf.get("/")
    request.user = User.objects.get(username="admin")
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    page = admin_client.get("/admin/omenproject/auditevent/?q=ledger.seal").content.decode()
    assert "ledger.seal" in page


READ = "/api/v1/signals"  # a read that needs signals:read


@pytest.mark.audit("55")
def test_refused_reads_are_audited_with_the_presented_key_prefix_never_the_key(api_client, make_api_key):
    revoked, writer = make_api_key("signals:read"), make_api_key("signals:write")
    apikey_revoke(prefix=keys.parse_prefix(revoked), actor="test")
    api_client.get(READ, HTTP_AUTHORIZATION=f"Bearer {revoked}", HTTP_X_TRACE_ID=TRACE)
    api_client.get(READ, HTTP_AUTHORIZATION=f"Bearer {writer}")
    api_client.get(READ)
    events = AuditEvent.objects.filter(action__startswith="api.").order_by("id")
    assert [(e.actor, e.outcome, e.details["method"]) for e in events] == [
        ("anonymous", "401", "GET"),
        (f"key:{keys.parse_prefix(writer)}", "403", "GET"),
        ("anonymous", "401", "GET"),
    ]
    assert events[0].details["presented_key_prefix"] == keys.parse_prefix(revoked)
    assert events[0].trace_id == TRACE
    assert revoked not in str([e.details for e in events])


@pytest.mark.audit("55")
def test_a_throttled_caller_is_audited_once_per_window(settings, client_with_scopes):
    settings.OMEN_RATE_LIMITS = {**settings.OMEN_RATE_LIMITS, "signals:write": "1/min"}
    client = client_with_scopes("signals:write")
    statuses = [client.post(ECHO, GOOD, format="json").status_code for _ in range(5)]
    assert statuses == [201, 429, 429, 429, 429]
    outcomes = list(AuditEvent.objects.filter(action="api.test-echo").values_list("outcome", flat=True))
    assert sorted(outcomes) == ["201", "429"]
