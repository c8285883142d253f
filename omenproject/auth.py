"""API-key authentication and per-endpoint scopes for DRF.

Every API view declares ``required_scope``; ``ScopePermission`` enforces it. Keys come in
``Authorization: Bearer <key>`` or ``X-API-Key``. Staff users logged into the browser UI (Django
sessions) hold every scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.permissions import BasePermission

from omenproject import keys
from omenproject.errors import AuthInvalid, AuthRequired, ForbiddenScope
from omenproject.models import SCOPES, ApiKey

LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class KeyPrincipal:
    """What a request authenticated with an API key knows about its caller."""

    prefix: str
    name: str
    scopes: frozenset[str]
    is_authenticated: bool = True

    @property
    def actor(self) -> str:
        return f"key:{self.prefix}"


def presented_key(request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return request.META.get("HTTP_X_API_KEY", "").strip() or None


def _bootstrap_principal(key: str) -> KeyPrincipal | None:
    bootstrap = settings.OMEN_BOOTSTRAP_API_KEY
    if bootstrap and keys.key_matches(key, keys.hash_key(bootstrap)):
        return KeyPrincipal(
            prefix=keys.parse_prefix(bootstrap) or "bootstrap",
            name="bootstrap",
            scopes=frozenset(settings.OMEN_BOOTSTRAP_API_KEY_SCOPES),
        )
    return None


def authenticate_key(key: str) -> KeyPrincipal:
    """The principal for ``key``, or ``AuthInvalid`` if unknown, revoked or expired."""
    principal = _bootstrap_principal(key)
    if principal:
        return principal
    prefix = keys.parse_prefix(key)
    if prefix is None:
        raise AuthInvalid()
    record = ApiKey.objects.filter(prefix=prefix).first()
    now = timezone.now()
    if record is None or not keys.key_matches(key, record.key_hash) or not record.is_active(now):
        raise AuthInvalid()
    if record.last_used_at is None or now - record.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=record.pk).update(last_used_at=now)
    return KeyPrincipal(prefix=record.prefix, name=record.name, scopes=frozenset(record.scopes))


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        key = presented_key(request)
        if key is None:
            return None
        principal = authenticate_key(key)
        return principal, principal

    def authenticate_header(self, request):
        return 'Bearer realm="omen"'


class StaffSessionAuthentication(SessionAuthentication):
    """The browser UI's session login; only staff users count (with CSRF enforced)."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None or not result[0].is_staff:
            return None
        return result


def scopes_of(request) -> frozenset[str]:
    if isinstance(request.auth, KeyPrincipal):
        return request.auth.scopes
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_staff", False) and user.is_active:
        return frozenset(SCOPES)
    return frozenset()


class ScopePermission(BasePermission):
    """Enforce ``view.required_scope``: 401 without credentials, 403 without the scope."""

    def has_permission(self, request, view):
        required = getattr(view, "required_scope", None)
        if required is None:
            raise AssertionError(f"{view.__class__.__name__} declares no required_scope")
        if required == "public":
            return True
        if request.auth is None and not getattr(request.user, "is_authenticated", False):
            # Anonymous callers are limited per client IP before they are told to log in,
            # so that a flood of unauthenticated requests is throttled too.
            for throttle in view.get_throttles():
                if not throttle.allow_request(request, view):
                    view.throttled(request, throttle.wait())
            raise AuthRequired()
        if required not in scopes_of(request):
            raise ForbiddenScope(details={"required_scope": required})
        return True


def actor_of(request) -> str:
    auth = getattr(request, "auth", None)
    if isinstance(auth, KeyPrincipal):
        return auth.actor
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.get_username()}"
    return "anonymous"
