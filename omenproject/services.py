"""Writes of the platform: API keys and audit events."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from omenproject import keys
from omenproject.models import SCOPES, ApiKey, AuditEvent
from omenproject.tracing import current_trace_id

logger = logging.getLogger("omen.audit")


class UnknownScope(ValueError):
    pass


def audit_record(
    *,
    actor: str,
    action: str,
    target: str = "",
    outcome: str = "ok",
    client_ip: str | None = None,
    details: dict | None = None,
) -> AuditEvent:
    """Write one audit event (and its log line) with the current trace id."""
    event = AuditEvent.objects.create(
        actor=actor[:150],
        action=action[:100],
        target=target[:300],
        outcome=outcome[:40],
        client_ip=client_ip,
        trace_id=current_trace_id(),
        details=details or {},
    )
    logger.info(
        "audit",
        extra={"actor": event.actor, "action": event.action, "target": event.target, "outcome": event.outcome},
    )
    return event


def apikey_create(
    *, name: str, scopes: list[str], expires_at: datetime | None = None, actor: str = "cli"
) -> tuple[ApiKey, str]:
    """Create a key; returns (record, key). The key is shown to the caller once, never stored."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise UnknownScope(f"unknown scope(s): {', '.join(unknown) or '(none given)'}; known: {', '.join(SCOPES)}")
    key, prefix = keys.generate_key()
    with transaction.atomic():
        record = ApiKey.objects.create(
            name=name, prefix=prefix, key_hash=keys.hash_key(key), scopes=sorted(set(scopes)), expires_at=expires_at
        )
        audit_record(actor=actor, action="apikey.create", target=prefix, details={"name": name, "scopes": scopes})
    return record, key


def apikey_revoke(*, prefix: str, actor: str = "cli") -> bool:
    """Revoke the key with ``prefix``; False if no such active key."""
    with transaction.atomic():
        revoked = ApiKey.objects.filter(prefix=prefix, revoked_at__isnull=True).update(revoked_at=timezone.now())
        audit_record(actor=actor, action="apikey.revoke", target=prefix, outcome="ok" if revoked else "not_found")
    return bool(revoked)
