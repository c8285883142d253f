"""RiskCast's read API as reconcile sees it: a partition's summary and its processed ids.

RiskCast is remote: reached only over HTTP at ``RISKCAST_URL`` with a key holding
``riskcast:read``. Transport errors, timeouts and 5xx are retried a few times, then raised as
``RiskCastUnreachable``; a 4xx is ``RiskCastRefused``. Replays do not go through here but
through the emitter's client (its breaker and bulkhead).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
from django.conf import settings

from emitter.client import EmitterConfig
from reconcile.errors import RiskCastRefused, RiskCastUnreachable

_ATTEMPTS = 3
_BACKOFF_S = 0.2


@dataclass(frozen=True)
class RemoteSummary:
    count: int
    digest: str
    algorithm: str


class RiskCastReader:
    """Summary and id pages of RiskCast partitions; use as a context manager."""

    def __init__(self, *, base_url: str | None = None, api_key: str | None = None, page_size: int | None = None):
        config = EmitterConfig.from_settings()
        key = api_key or settings.RECONCILE_RISKCAST_API_KEY or config.api_key
        self.page_size = page_size or settings.RECONCILE_PAGE_SIZE
        self._http = httpx.Client(
            base_url=(base_url or config.riskcast_url).rstrip("/"),
            headers={"Authorization": f"Bearer {key}"} if key else {},
            timeout=httpx.Timeout(
                connect=config.connect_timeout_s, read=settings.RECONCILE_READ_TIMEOUT_S, write=5.0, pool=5.0
            ),
        )

    def __enter__(self) -> RiskCastReader:
        return self

    def __exit__(self, *exc) -> None:
        self._http.close()

    def _get(self, path: str, params: dict | None = None) -> dict:
        problem = "no attempt"
        for attempt in range(_ATTEMPTS):
            if attempt:
                time.sleep(_BACKOFF_S * attempt)
            try:
                response = self._http.get(path, params=params)
            except httpx.HTTPError as exc:
                problem = exc.__class__.__name__
                continue
            if response.status_code >= 500 or response.status_code in (408, 429):
                problem = f"http_{response.status_code}"
                continue
            if response.status_code != 200:
                raise RiskCastRefused(f"GET {path}: http_{response.status_code} {response.text[:200]}")
            return response.json()
        raise RiskCastUnreachable(f"GET {path}: {problem} after {_ATTEMPTS} attempts")

    def summary(self, partition: str) -> RemoteSummary:
        body = self._get(f"/api/v1/riskcast/partitions/{partition}/summary")
        return RemoteSummary(int(body["count"]), str(body["digest"]), str(body.get("digest_algorithm", "")))

    def signal_ids(self, partition: str) -> Iterator[tuple[str, str]]:
        """Every (signal_id, payload_hash) of ``partition``, page by page (cursor pagination)."""
        cursor = None
        while True:
            params = {"limit": self.page_size} | ({"cursor": cursor} if cursor else {})
            body = self._get(f"/api/v1/riskcast/partitions/{partition}/signal-ids", params)
            for item in body["items"]:
                yield item["signal_id"], item["payload_hash"]
            cursor = body.get("next_cursor")
            if not cursor:
                return
