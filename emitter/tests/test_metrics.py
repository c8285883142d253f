"""The emitter's metrics move with deliveries, the breaker and the bulkhead (audit 28, 29, 49, 50)."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from emitter.breaker import BreakerState
from emitter.tests.conftest import deliver, make_event
from emitter.tests.fault_server import Fault


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.audit("49")
def test_each_outcome_is_counted_and_timed(fault_server, make_client):
    client = make_client(fault_server.url)
    delivered, rejected = sample("omen_emit_total", status="DELIVERED"), sample("omen_emit_total", status="REJECTED")
    timed, retries = sample("omen_emit_delivery_seconds_count"), sample("omen_emit_retries_total")
    fault_server.script(Fault.error(503))
    deliver(client, make_event())
    fault_server.script(Fault.reject(400))
    deliver(client, make_event())
    assert sample("omen_emit_total", status="DELIVERED") == delivered + 1
    assert sample("omen_emit_total", status="REJECTED") == rejected + 1
    assert sample("omen_emit_delivery_seconds_count") == timed + 2
    assert sample("omen_emit_retries_total") == retries + 1


@pytest.mark.audit("28")
@pytest.mark.audit("50")
def test_the_breaker_state_and_transitions_are_exported(fault_server, make_client):
    client = make_client(fault_server.url, breaker_failures=1, max_attempts=1)
    opened = sample("omen_breaker_transitions_total", **{"from": "closed", "to": "open"})
    fault_server.script(Fault.error(503))
    deliver(client, make_event())
    assert client.breaker.state is BreakerState.OPEN
    assert sample("omen_breaker_state") == 2
    assert sample("omen_breaker_transitions_total", **{"from": "closed", "to": "open"}) == opened + 1


@pytest.mark.audit("29")
def test_bulkhead_rejections_and_in_flight_are_exported(fault_server, make_client):
    client = make_client(fault_server.url, bulkhead_size=1)
    rejected = sample("omen_bulkhead_rejections_total")
    assert client.bulkhead.try_acquire()  # someone else holds the only slot
    assert sample("omen_bulkhead_in_flight") == 1
    assert deliver(client, make_event()).error == "bulkhead_full"
    client.bulkhead.release()
    assert sample("omen_bulkhead_rejections_total") == rejected + 1
    assert sample("omen_bulkhead_in_flight") == 0
