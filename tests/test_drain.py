"""The drain worker and the delivery state derived from the ledger."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from emitter.drain import delivery_catch_up, delivery_rebuild, drain_once
from emitter.models import Delivery
from ledger.core import LedgerRecord
from ledger.services import ledger_append
from omenproject.signals import build_event, canonical_json
from omenproject.testing.builders import make_signal
from omenproject.tests.helpers import ROOT, clean_env, run_manage

pytestmark = pytest.mark.django_db
URL = "/api/v1/signals"


@pytest.fixture
def producer(client_with_scopes):
    return client_with_scopes("signals:write", "signals:read")


@pytest.fixture
def no_grace(settings):
    settings.EMITTER_DRAIN_PENDING_GRACE_S = 0


def post_many(producer, n: int) -> list[dict]:
    return [producer.post(URL, make_signal(), format="json").json() for _ in range(n)]


@pytest.mark.audit("24")
@pytest.mark.audit("27")
def test_after_an_outage_the_drain_delivers_the_backlog_exactly_once(producer, node, settings):
    settings.EMITTER_BREAKER_FAILURES = 1000  # keep the breaker out of this story
    node.error_rate = 1.0
    answers = post_many(producer, 12)
    assert {a["status"] for a in answers} == {"LEDGER_ONLY"}
    assert not node.commits
    node.error_rate = 0.0
    report = drain_once(batch_size=5)
    assert report.attempted == 5 and report.outcomes == {"DELIVERED": 5}
    while drain_once().attempted:
        pass
    assert set(Delivery.objects.values_list("status", flat=True)) == {"DELIVERED"}
    assert sorted(node.commits.values()) == [1] * 12
    assert drain_once().attempted == 0


def test_the_drain_stops_its_batch_while_the_breaker_is_open(producer, node, settings):
    settings.EMITTER_BREAKER_FAILURES = 2
    from emitter.client import reset_client

    reset_client()
    node.error_rate = 1.0
    producer.post(URL, [make_signal() for _ in range(100)], format="json")
    producer.post(URL, [make_signal() for _ in range(50)], format="json")
    before = node.requests_received
    report = drain_once(batch_size=150)
    assert report.attempted == 100  # the first request's worth, refused at once; the rest waits
    assert report.outcomes == {"LEDGER_ONLY": 100}
    assert node.requests_received == before  # nothing reached RiskCast while the breaker is open
    assert set(Delivery.objects.values_list("status", flat=True)) == {"LEDGER_ONLY"}


def test_the_drain_sends_its_batch_in_requests_of_at_most_max_batch(producer, node, no_grace, settings):
    settings.EMITTER_BREAKER_FAILURES = 1000  # keep the breaker out of this story
    node.error_rate = 1.0
    producer.post(URL, [make_signal() for _ in range(100)], format="json")
    producer.post(URL, [make_signal() for _ in range(30)], format="json")
    node.error_rate = 0.0
    before = node.requests_received
    report = drain_once(batch_size=500)
    assert report.outcomes == {"DELIVERED": 130}
    sizes = [len(json.loads(r.body)) for r in node.received[before:]]
    assert sizes == [100, 30]
    assert sorted(node.commits.values()) == [1] * 130


def append_behind_the_tables_back(n: int) -> list[str]:
    """Ledger records with no delivery row: what a crash between fsync and the row leaves."""
    from django.utils import timezone

    events = [build_event(make_signal(), trace_id="ab" * 16, emitted_at=timezone.now()) for _ in range(n)]
    ledger_append([LedgerRecord(e["signal_id"], timezone.now(), canonical_json(e), e["trace_id"]) for e in events])
    return [e["signal_id"] for e in events]


def test_records_fsynced_before_a_crash_are_caught_up_as_pending_and_drained(producer, node, no_grace):
    post_many(producer, 2)
    orphans = append_behind_the_tables_back(3)
    assert delivery_catch_up() == 3
    assert set(Delivery.objects.filter(signal_id__in=orphans).values_list("status", flat=True)) == {"PENDING"}
    assert delivery_catch_up() == 0
    drain_once()
    assert all(node.commits[s] == 1 for s in orphans)
    assert set(Delivery.objects.values_list("status", flat=True)) == {"DELIVERED"}


def test_a_lost_delivery_table_is_rebuilt_from_the_ledger_without_double_delivery(producer, node, no_grace):
    answers = post_many(producer, 4)
    Delivery.objects.all().delete()
    assert delivery_rebuild() == 4
    assert list(Delivery.objects.values_list("seq", flat=True)) == [a["seq"] for a in answers]
    drain_once()
    assert set(Delivery.objects.values_list("status", flat=True)) == {"DUPLICATE"}
    assert sorted(node.commits.values()) == [1] * 4


def test_drain_loop_stops_cleanly_on_sigterm(tmp_path):
    env = clean_env(tmp_path, RISKCAST_URL="http://127.0.0.1:9")
    assert run_manage(["migrate", "-v0"], env).returncode == 0
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "drain", "--loop", "--interval", "0.2"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(2.0)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert "drain stopped after its current batch" in out
    assert any(json.loads(line).get("action") == "drain.loop" for line in out.splitlines() if line.startswith("{"))
