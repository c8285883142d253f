"""Builders and fixtures for the emitter's tests: events, clients, a fake clock, the fault server."""

from __future__ import annotations

import hashlib
import itertools
import json

import pytest

from emitter.client import EmitterConfig, RiskCastClient
from emitter.tests.fault_server import FaultServer

_ids = itertools.count(1)


class FakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self, start: float = 1000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_event(**overrides) -> dict:
    """A signal event envelope with a unique ``signal_id``."""
    n = next(_ids)
    event = {
        "schema_version": "1",
        "signal_id": f"sig-{n:08d}",
        "trace_id": f"{n:032x}",
        "emitted_at": "2026-12-03T10:00:00Z",
        "payload": {"kind": "test", "n": n},
    }
    return event | overrides


def payload_hash(event: dict) -> str:
    return hashlib.sha256(json.dumps(event, sort_keys=True).encode()).hexdigest()


def fast_config(url: str, **overrides) -> EmitterConfig:
    """Small timeouts and tiny backoffs so fault tests run in milliseconds."""
    values = {
        "riskcast_url": url,
        "api_key": "test-key",
        "connect_timeout_s": 0.5,
        "read_timeout_s": 0.5,
        "write_timeout_s": 0.5,
        "pool_timeout_s": 0.5,
        "max_attempts": 3,
        "retry_base_s": 0.001,
        "retry_max_s": 0.01,
        "retry_budget_s": 2.0,
        "breaker_failures": 5,
        "breaker_cooldown_s": 60.0,
        "breaker_probe_timeout_s": 2.0,
        "bulkhead_size": 8,
    }
    return EmitterConfig(**(values | overrides))


def deliver(client: RiskCastClient, event: dict, **kwargs):
    return client.deliver(event, payload_hash=payload_hash(event), **kwargs)


@pytest.fixture
def fault_server():
    with FaultServer() as server:
        yield server


@pytest.fixture
def make_client():
    """``make_client(url, breaker=..., **config_overrides)`` -> an isolated client, closed after the test."""
    clients = []

    def make(url: str, *, breaker=None, bulkhead=None, transport=None, async_transport=None, **overrides):
        kwargs = {"breaker": breaker, "bulkhead": bulkhead, "transport": transport, "async_transport": async_transport}
        for name in ("clock", "sleep", "asleep", "rng"):
            if name in overrides:
                kwargs[name] = overrides.pop(name)
        client = RiskCastClient(fast_config(url, **overrides), **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
