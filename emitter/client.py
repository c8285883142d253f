"""The resilient HTTP client that delivers signals to RiskCast's ingest.

Use the process-wide client::

    from emitter.client import get_client

    result = get_client().deliver(event, payload_hash=h, trace_id=t)           # sync view, thread, worker
    result = await get_client().adeliver(event, payload_hash=h, trace_id=t)    # async view
    results = get_client().deliver_many([DeliveryRequest(event, h, t), ...])   # batches: MAX_BATCH per POST

Both return a ``DeliveryResult`` and never raise for a delivery failure: RiskCast down, slow,
overloaded or refusing all end as a result (``LEDGER_ONLY`` or ``REJECTED``), because the signal
is already safe in the ledger when they are called. Only a malformed call (no ``signal_id``, an
unknown ``replay_source``) raises ``ValueError``.

Which one: never call the sync ``deliver`` from a coroutine (it blocks the event loop), and in the
embedded single-process mode never from a sync view served over ASGI, where sync views share one
thread: the call to RiskCast in the same process would wait for that thread forever. Async views
use ``adeliver``; WSGI views (real threads), the drain worker and reconcile use ``deliver``.

Each call: a look at the breaker (open: ``LEDGER_ONLY`` at once), one bulkhead slot for the whole
call (none free: ``LEDGER_ONLY`` at once), then per attempt a breaker permit (refused:
``LEDGER_ONLY`` at once) and one POST whose httpx timeouts are clamped to what is left of the retry
budget, so a call never takes much longer than ``EMITTER_RETRY_BUDGET_S``. The decisions live in
one generator, ``_plan``, driven by a sync and an async loop that only do the I/O, so both paths
behave identically. A batch (``deliver_batch``) is one such call whose 2xx answer carries one
result per event; each event is then classified on its own (``classify_batch_item``).
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
import weakref
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import httpx

from emitter.breaker import BreakerState, CircuitBreaker, Permit
from emitter.bulkhead import Bulkhead
from emitter.metrics import (
    BREAKER_STATE,
    BREAKER_TRANSITIONS_TOTAL,
    BULKHEAD_IN_FLIGHT,
    BULKHEAD_REJECTIONS_TOTAL,
    EMIT_DELIVERY_SECONDS,
    EMIT_RETRIES_TOTAL,
    EMIT_TOTAL,
)
from emitter.outcome import (
    Classified,
    DeliveryResult,
    DeliveryStatus,
    Verdict,
    classify_batch_item,
    classify_batch_response,
    classify_response,
)
from emitter.retry import RetryPolicy, parse_retry_after
from omenproject.signals import MAX_BATCH
from omenproject.tracing import current_trace_id

logger = logging.getLogger("omen.emitter")

INGEST_PATH = "/api/v1/riskcast/ingest"
REPLAY_SOURCES = frozenset({"hot_path", "reconcile"})


@dataclass(frozen=True)
class EmitterConfig:
    """The client's knobs; ``from_settings()`` reads the ``EMITTER_*`` settings (docs/configuration.md)."""

    riskcast_url: str
    api_key: str = ""
    connect_timeout_s: float = 1.0
    read_timeout_s: float = 2.0
    write_timeout_s: float = 2.0
    pool_timeout_s: float = 0.5
    max_attempts: int = 3
    retry_base_s: float = 0.05
    retry_max_s: float = 1.0
    retry_budget_s: float = 5.0
    breaker_failures: int = 5
    breaker_cooldown_s: float = 10.0
    breaker_probe_timeout_s: float = 5.0
    bulkhead_size: int = 32

    @classmethod
    def from_settings(cls) -> EmitterConfig:
        from django.conf import settings

        return cls(
            riskcast_url=settings.RISKCAST_URL,
            api_key=settings.EMITTER_RISKCAST_API_KEY or settings.OMEN_BOOTSTRAP_API_KEY,
            connect_timeout_s=settings.EMITTER_CONNECT_TIMEOUT_S,
            read_timeout_s=settings.EMITTER_READ_TIMEOUT_S,
            write_timeout_s=settings.EMITTER_WRITE_TIMEOUT_S,
            pool_timeout_s=settings.EMITTER_POOL_TIMEOUT_S,
            max_attempts=settings.EMITTER_MAX_ATTEMPTS,
            retry_base_s=settings.EMITTER_RETRY_BASE_S,
            retry_max_s=settings.EMITTER_RETRY_MAX_S,
            retry_budget_s=settings.EMITTER_RETRY_BUDGET_S,
            breaker_failures=settings.EMITTER_BREAKER_FAILURES,
            breaker_cooldown_s=settings.EMITTER_BREAKER_COOLDOWN_S,
            breaker_probe_timeout_s=settings.EMITTER_BREAKER_PROBE_TIMEOUT_S,
            bulkhead_size=settings.EMITTER_BULKHEAD_SIZE,
        )


@dataclass(frozen=True)
class DeliveryRequest:
    """One signal to deliver with ``deliver_many``: the event envelope and its payload hash."""

    event: dict
    payload_hash: str
    trace_id: str | None = None


@dataclass(frozen=True)
class _Prepared:
    """One POST to make: a single event, or a batch (``event`` a list, one request per item)."""

    signal_id: str  # for a batch: a label for the log lines of the whole call
    event: Any
    payload_hash: str
    headers: dict[str, str]
    replay_source: str
    batch: tuple[DeliveryRequest, ...] = ()


@dataclass(frozen=True)
class _Ended:
    """How a planned call ended, before it is turned into per-signal results."""

    status: DeliveryStatus
    attempts: int
    error: str | None = None
    http_status: int | None = None
    ack_id: str | None = None
    body: Any = None  # the parsed answer of the last attempt (a batch's per-item results)


@dataclass(frozen=True)
class _Send:
    permit: Permit
    timeout: httpx.Timeout
    hard_deadline_s: float  # the async path also cancels the whole attempt after this long


@dataclass(frozen=True)
class _Sleep:
    seconds: float


def export_breaker_transition(before: BreakerState, after: BreakerState) -> None:
    """The default breaker's transition callback: metrics and one log line."""
    BREAKER_STATE.set(int(after))
    BREAKER_TRANSITIONS_TOTAL.labels(before.name.lower(), after.name.lower()).inc()
    log = logger.warning if after is BreakerState.OPEN else logger.info
    log("riskcast circuit breaker %s -> %s", before.name, after.name, extra={"breaker_state": after.name})


def _transport_reason(exc: BaseException) -> str:
    for kind, reason in (
        (httpx.ConnectTimeout, "connect_timeout"),
        (httpx.ReadTimeout, "read_timeout"),
        (httpx.WriteTimeout, "write_timeout"),
        (httpx.PoolTimeout, "pool_timeout"),
        (TimeoutError, "timeout"),
        (httpx.ConnectError, "connect_error"),
        (httpx.RemoteProtocolError, "remote_protocol_error"),
    ):
        if isinstance(exc, kind):
            return reason
    return "transport_error"


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class RiskCastClient:
    """Delivers signals to RiskCast with retries, timeouts, a circuit breaker and a bulkhead.

    Thread-safe and asyncio-safe. One instance per process (``get_client()``) so that every
    caller shares the breaker and the bulkhead; tests build isolated ones and may inject a
    breaker, a bulkhead, httpx transports, the clock, the sleeps and the jitter source.
    """

    def __init__(
        self,
        config: EmitterConfig,
        *,
        breaker: CircuitBreaker | None = None,
        bulkhead: Bulkhead | None = None,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        asleep: Callable[[float], Any] = asyncio.sleep,
        rng: Callable[[], float] = random.random,
    ):
        self.config = config
        self.breaker = breaker or CircuitBreaker(
            failure_threshold=config.breaker_failures,
            cooldown_s=config.breaker_cooldown_s,
            probe_timeout_s=config.breaker_probe_timeout_s,
            on_transition=export_breaker_transition,
        )
        self.bulkhead = bulkhead or Bulkhead(config.bulkhead_size, on_change=BULKHEAD_IN_FLIGHT.set)
        self.policy = RetryPolicy(
            max_attempts=config.max_attempts,
            base_s=config.retry_base_s,
            max_s=config.retry_max_s,
            budget_s=config.retry_budget_s,
            rng=rng,
        )
        self.url = config.riskcast_url.rstrip("/") + INGEST_PATH
        self._clock, self._sleep, self._asleep = clock, sleep, asleep
        # The pool never needs more connections than the bulkhead lets calls through.
        self._limits = httpx.Limits(max_connections=self.bulkhead.size, max_keepalive_connections=self.bulkhead.size)
        self._http = httpx.Client(timeout=self._full_timeout(), limits=self._limits, transport=transport)
        self._async_transport = async_transport
        # An httpx.AsyncClient belongs to the event loop it first ran on: keep one per loop.
        self._async_http: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
            weakref.WeakKeyDictionary()
        )
        self._async_lock = threading.Lock()

    # --- public API -----------------------------------------------------------------------

    def deliver(
        self, event: dict, *, payload_hash: str, trace_id: str | None = None, replay_source: str = "hot_path"
    ) -> DeliveryResult:
        """POST one event to RiskCast from a thread; returns the outcome, never raises for failures."""
        prepared = self._prepare(event, payload_hash, trace_id, replay_source)
        return self._finish(prepared, *self._run(prepared, _classify_single(prepared)))

    async def adeliver(
        self, event: dict, *, payload_hash: str, trace_id: str | None = None, replay_source: str = "hot_path"
    ) -> DeliveryResult:
        """The same as ``deliver`` for coroutines (async views); each attempt is also hard-capped."""
        prepared = self._prepare(event, payload_hash, trace_id, replay_source)
        started = self._clock()
        if refused := self._refusal():
            return self._finish(prepared, started, refused)
        plan = self._plan(prepared, started, _classify_single(prepared))
        try:
            http = self._async_client()
            step = next(plan)
            while True:
                if isinstance(step, _Sleep):
                    await self._asleep(step.seconds)
                    answer: Any = None
                else:
                    try:
                        # httpx's read timeout is per read; this caps a server that trickles bytes.
                        async with asyncio.timeout(step.hard_deadline_s):
                            answer = await http.post(
                                self.url, json=prepared.event, headers=prepared.headers, timeout=step.timeout
                            )
                    except (httpx.HTTPError, TimeoutError) as exc:
                        answer = exc
                step = plan.send(answer)
        except StopIteration as done:
            return self._finish(prepared, started, done.value)
        except Exception:
            return self._finish(prepared, started, self._internal_error(prepared))
        finally:
            plan.close()  # a cancelled call frees its breaker permit (see _plan)
            self.bulkhead.release()

    def deliver_batch(
        self, requests: Sequence[DeliveryRequest], *, replay_source: str = "hot_path"
    ) -> list[DeliveryResult]:
        """POST up to ``MAX_BATCH`` events in one request; one ``DeliveryResult`` per request, in order.

        One bulkhead slot, one breaker permit per attempt and one retry budget for the whole
        call, exactly like one event. A retried batch is safe: what RiskCast stored before the
        connection dropped comes back ``409 duplicate``, which counts as delivered. Each event
        still carries its ``signal_id`` (the idempotency key) and ``trace_id`` in its envelope,
        and RiskCast's answer names, per event, the payload hash it holds, checked against ours.
        """
        if not requests:
            return []
        if len(requests) > MAX_BATCH:
            raise ValueError(f"a batch holds at most {MAX_BATCH} events, got {len(requests)}")
        prepared = self._prepare_batch(requests, replay_source)
        return self._finish_batch(prepared, *self._run(prepared, _classify_batch(prepared)))

    def deliver_many(self, requests: Iterable[DeliveryRequest], *, replay_source: str = "reconcile") -> list:
        """Deliver any number of events, ``MAX_BATCH`` per request, through the same breaker and bulkhead.

        Returns one ``DeliveryResult`` per request, in order. Once a batch ends ``LEDGER_ONLY``
        (RiskCast away, breaker open, bulkhead full) the rest are not sent: they come back
        ``LEDGER_ONLY`` with the same reason at no cost.
        """
        requests = list(requests)
        results: list[DeliveryResult] = []
        stopped: DeliveryResult | None = None
        for start in range(0, len(requests), MAX_BATCH):
            chunk = requests[start : start + MAX_BATCH]
            if stopped is not None:
                unsent = _Ended(DeliveryStatus.LEDGER_ONLY, 0, stopped.error)
                results += [self._result(_signal_id_of(r.event), replay_source, 0.0, unsent) for r in chunk]
                continue
            answered = self.deliver_batch(chunk, replay_source=replay_source)
            stopped = next((r for r in answered if r.status is DeliveryStatus.LEDGER_ONLY), None)
            results += answered
        return results

    def close(self) -> None:
        """Close the sync connection pool (and forget async ones, which close with their loop)."""
        self._http.close()
        with self._async_lock:
            self._async_http.clear()

    async def aclose(self) -> None:
        """Close the connection pool of the running event loop."""
        with self._async_lock:
            http = self._async_http.pop(asyncio.get_running_loop(), None)
        if http is not None:
            await http.aclose()

    # --- the decisions, shared by every loop ------------------------------------------------

    def _run(self, prepared: _Prepared, classify: Callable[[httpx.Response], Classified]) -> tuple[float, _Ended]:
        """Drive ``_plan`` with the sync HTTP client: (when it started, how it ended)."""
        started = self._clock()
        if refused := self._refusal():
            return started, refused
        plan = self._plan(prepared, started, classify)
        try:
            step = next(plan)
            while True:
                if isinstance(step, _Sleep):
                    self._sleep(step.seconds)
                    answer: Any = None
                else:
                    try:
                        answer = self._http.post(
                            self.url, json=prepared.event, headers=prepared.headers, timeout=step.timeout
                        )
                    except httpx.HTTPError as exc:
                        answer = exc
                step = plan.send(answer)
        except StopIteration as done:
            return started, done.value
        except Exception:
            return started, self._internal_error(prepared)
        finally:
            plan.close()
            self.bulkhead.release()

    def _plan(
        self, prepared: _Prepared, started: float, classify: Callable[[httpx.Response], Classified]
    ) -> Generator[_Send | _Sleep, Any, _Ended]:
        """Yields what to do next (send or sleep), receives each answer, returns how it ended."""
        attempts, http_status, reason = 0, None, "retry_budget_exhausted"
        while True:
            remaining = self.policy.budget_s - (self._clock() - started)
            if remaining <= 0:
                return _Ended(DeliveryStatus.LEDGER_ONLY, attempts, reason, http_status)
            permit = self.breaker.acquire()
            if permit is None:
                return _Ended(DeliveryStatus.LEDGER_ONLY, attempts, "breaker_open", http_status)
            attempts += 1
            try:
                answer = yield _Send(permit, self._attempt_timeout(remaining), remaining)
            except GeneratorExit:
                self.breaker.record_abandoned(permit)  # cancelled or crashed mid-attempt: no verdict
                raise
            retry_after = None
            if isinstance(answer, BaseException):
                http_status, reason = None, _transport_reason(answer)
                if isinstance(answer, httpx.PoolTimeout):
                    self.breaker.record_abandoned(permit)  # our own pool was busy: not RiskCast's fault
                else:
                    self.breaker.record_failure(permit)
            else:
                http_status = answer.status_code
                classified = classify(answer)
                reason = classified.reason
                if classified.verdict is Verdict.GIVE_UP:
                    self.breaker.record_abandoned(permit)
                    return _Ended(DeliveryStatus.LEDGER_ONLY, attempts, reason, http_status)
                if classified.verdict is not Verdict.RETRY:
                    self.breaker.record_success(permit)
                    status = DeliveryStatus[classified.verdict.name]
                    return _Ended(status, attempts, reason, http_status, classified.ack_id, _json_or_none(answer))
                self.breaker.record_failure(permit)
                retry_after = parse_retry_after(answer.headers.get("Retry-After"))
            delay = self.policy.delay_before_retry(
                attempts, elapsed_s=self._clock() - started, retry_after_s=retry_after
            )
            if delay is None:
                return _Ended(DeliveryStatus.LEDGER_ONLY, attempts, reason, http_status)
            EMIT_RETRIES_TOTAL.inc()
            if delay > 0:
                yield _Sleep(delay)

    # --- helpers ----------------------------------------------------------------------------

    def _prepare(self, event: dict, payload_hash: str, trace_id: str | None, replay_source: str) -> _Prepared:
        signal_id = _signal_id_of(event)
        if not payload_hash:
            raise ValueError("payload_hash is required")
        headers = self._headers(replay_source, trace_id or event.get("trace_id"))
        headers |= {"Idempotency-Key": signal_id, "X-Payload-Hash": payload_hash}
        return _Prepared(signal_id, event, payload_hash, headers, replay_source)

    def _prepare_batch(self, requests: Sequence[DeliveryRequest], replay_source: str) -> _Prepared:
        for request in requests:
            _signal_id_of(request.event)
            if not request.payload_hash:
                raise ValueError("payload_hash is required")
        # Idempotency-Key and X-Payload-Hash name one event: RiskCast refuses them on a batch.
        headers = self._headers(replay_source, requests[0].trace_id or requests[0].event.get("trace_id"))
        label = f"batch of {len(requests)} from {_signal_id_of(requests[0].event)}"
        return _Prepared(label, [r.event for r in requests], "", headers, replay_source, tuple(requests))

    def _headers(self, replay_source: str, trace_id: str | None) -> dict[str, str]:
        if replay_source not in REPLAY_SOURCES:
            raise ValueError(f"replay_source must be one of {sorted(REPLAY_SOURCES)}, got {replay_source!r}")
        headers = {"X-Replay-Source": replay_source}
        trace_id = trace_id or current_trace_id()
        if trace_id:
            headers["X-Trace-Id"] = str(trace_id)
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key}"
        return headers

    def _refusal(self) -> _Ended | None:
        """``LEDGER_ONLY`` at once when the breaker is open or no bulkhead slot is free; else take a slot."""
        # The breaker first: while it is open, callers should not even take a bulkhead slot.
        if self.breaker.is_refusing():
            return _Ended(DeliveryStatus.LEDGER_ONLY, 0, "breaker_open")
        if not self.bulkhead.try_acquire():
            BULKHEAD_REJECTIONS_TOTAL.inc()
            return _Ended(DeliveryStatus.LEDGER_ONLY, 0, "bulkhead_full")
        return None

    def _full_timeout(self) -> httpx.Timeout:
        c = self.config
        return httpx.Timeout(
            connect=c.connect_timeout_s, read=c.read_timeout_s, write=c.write_timeout_s, pool=c.pool_timeout_s
        )

    def _attempt_timeout(self, remaining: float) -> httpx.Timeout:
        # No single phase may outlast what is left of the whole delivery's budget.
        c = self.config
        return httpx.Timeout(
            connect=min(c.connect_timeout_s, remaining),
            read=min(c.read_timeout_s, remaining),
            write=min(c.write_timeout_s, remaining),
            pool=min(c.pool_timeout_s, remaining),
        )

    def _async_client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        with self._async_lock:
            http = self._async_http.get(loop)
            if http is None:
                http = httpx.AsyncClient(
                    timeout=self._full_timeout(), limits=self._limits, transport=self._async_transport
                )
                self._async_http[loop] = http
            return http

    def _finish(self, prepared: _Prepared, started: float, ended: _Ended) -> DeliveryResult:
        return self._result(prepared.signal_id, prepared.replay_source, max(0.0, self._clock() - started), ended)

    def _finish_batch(self, prepared: _Prepared, started: float, ended: _Ended) -> list[DeliveryResult]:
        """One result per event: each item's own outcome when RiskCast answered the batch, else the call's."""
        duration = max(0.0, self._clock() - started)
        items = ended.body["results"] if ended.status is DeliveryStatus.DELIVERED else None
        results = []
        for index, request in enumerate(prepared.batch):
            signal_id = _signal_id_of(request.event)
            each = ended
            if items is not None:
                judged = classify_batch_item(items[index], signal_id=signal_id, payload_hash=request.payload_hash)
                status = DeliveryStatus.LEDGER_ONLY if judged.verdict is Verdict.GIVE_UP else None
                status = status or DeliveryStatus[judged.verdict.name]
                each = replace(ended, status=status, error=judged.reason, ack_id=judged.ack_id, body=None)
            results.append(self._result(signal_id, prepared.replay_source, duration, each))
        return results

    def _result(self, signal_id: str, replay_source: str, duration: float, ended: _Ended) -> DeliveryResult:
        delivered = ended.status in (DeliveryStatus.DELIVERED, DeliveryStatus.DUPLICATE)
        result = DeliveryResult(
            signal_id=signal_id,
            status=ended.status,
            attempts=ended.attempts,
            duration_s=duration,
            ack_id=ended.ack_id,
            http_status=ended.http_status,
            error=None if delivered else ended.error,
        )
        EMIT_TOTAL.labels(ended.status.value).inc()
        EMIT_DELIVERY_SECONDS.observe(duration)
        _log_result(result, replay_source)
        return result

    def _internal_error(self, prepared: _Prepared) -> _Ended:
        logger.exception("delivery to riskcast failed unexpectedly", extra={"signal_id": prepared.signal_id})
        return _Ended(DeliveryStatus.LEDGER_ONLY, 0, "internal_error")


def _signal_id_of(event: Any) -> str:
    signal_id = event.get("signal_id") if isinstance(event, dict) else None
    if not signal_id or not isinstance(signal_id, str):
        raise ValueError("the event has no signal_id")
    return signal_id


def _classify_single(prepared: _Prepared) -> Callable[[httpx.Response], Classified]:
    return lambda answer: classify_response(
        answer.status_code, _json_or_none(answer), payload_hash=prepared.payload_hash
    )


def _classify_batch(prepared: _Prepared) -> Callable[[httpx.Response], Classified]:
    count = len(prepared.batch)
    return lambda answer: classify_batch_response(answer.status_code, _json_or_none(answer), count=count)


def _log_result(result: DeliveryResult, replay_source: str) -> None:
    fields = {
        "signal_id": result.signal_id,
        "delivery_status": result.status.value,
        "attempts": result.attempts,
        "http_status": result.http_status,
        "reason": result.error,
        "replay_source": replay_source,
    }
    if result.status is DeliveryStatus.REJECTED:
        # Alert level: RiskCast refused this signal for good; a human has to look at it.
        logger.error("riskcast rejected signal %s: %s", result.signal_id, result.error, extra=fields | {"alert": True})
    elif result.status is DeliveryStatus.LEDGER_ONLY and result.error not in ("breaker_open", "bulkhead_full"):
        logger.warning("signal %s left in the ledger: %s", result.signal_id, result.error, extra=fields)
    else:
        logger.info("signal %s %s", result.signal_id, result.status.value, extra=fields)


_default_client: RiskCastClient | None = None
_default_lock = threading.Lock()


def get_client() -> RiskCastClient:
    """The process-wide client built from settings: one breaker and one bulkhead per process."""
    global _default_client  # noqa: PLW0603 - the process singleton is the point
    with _default_lock:
        if _default_client is None:
            _default_client = RiskCastClient(EmitterConfig.from_settings())
        return _default_client


def reset_client() -> None:
    """Close and forget the process-wide client (tests, or after changing settings)."""
    global _default_client
    with _default_lock:
        client, _default_client = _default_client, None
    if client is not None:
        client.close()
