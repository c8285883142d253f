"""Per-key rate limits, configured per scope, counted in Django's cache.

DRF throttling (not django-ratelimit) because it already runs after authentication and
before the view with the view's ``required_scope`` in hand, and answers through the one
exception handler. DRF's stock throttles keep a timestamp list per client with a
read-modify-write that races between workers; this one is a fixed-window counter built on
``cache.add`` + ``cache.incr``, which are atomic on Redis (and within one process on the
local-memory cache, the single-node default, where each worker process counts on its own).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import BaseThrottle

from omenproject.auth import KeyPrincipal
from omenproject.throttling_rates import parse_rate


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


class ScopeRateThrottle(BaseThrottle):
    def allow_request(self, request, view):
        if isinstance(request.auth, KeyPrincipal):
            scope, who = getattr(view, "required_scope", None) or "public", request.auth.prefix
        elif getattr(request.user, "is_authenticated", False):
            scope, who = getattr(view, "required_scope", None) or "public", f"user:{request.user.pk}"
        else:  # anonymous callers share one budget per client IP, whatever the endpoint
            scope, who = "anonymous", f"ip:{client_ip(request)}"
        rate = settings.OMEN_RATE_LIMITS.get(scope, settings.OMEN_RATE_LIMIT_DEFAULT)
        limit, window = parse_rate(rate)
        now = time.time()
        window_start = int(now // window) * window
        key = f"omen:rl:{scope}:{who}:{window_start}"
        cache = caches[settings.OMEN_RATE_LIMIT_CACHE]
        cache.add(key, 0, timeout=window + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=window + 1)
            count = 1
        self._wait = window_start + window - now
        return count <= limit

    def wait(self):
        return self._wait
