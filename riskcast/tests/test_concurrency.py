"""Exactly-once under real concurrency: real servers on 127.0.0.1, threads and processes."""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from datetime import date

import httpx
import pytest

from omenproject.testing.live_server import live_server
from riskcast.tests.builders import make_event, make_events
from riskcast.tests.conftest import stored_rows

INGEST = "/api/v1/riskcast/ingest"
BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(scope="module", params=BACKENDS)
def server(request):
    """A RiskCast-only gunicorn (2 workers x 16 threads) on SQLite, then on PostgreSQL."""
    postgres = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    unthrottled = {"OMEN_RATE_LIMITS": "riskcast:ingest=100000/s"}
    with live_server(
        plugins="riskcast", riskcast_database_url=postgres, workers=2, threads=16, env=unthrottled
    ) as live:
        live.postgres = postgres
        yield live


def _post_after_barrier(server, body: dict, barrier: threading.Barrier, out: list, index: int):
    with httpx.Client(base_url=server.url, headers=server.auth_headers, timeout=60) as client:
        client.get("/healthz")  # the connection is open before the start signal
        barrier.wait()
        out[index] = client.post(INGEST, json=body)


@pytest.mark.audit("30")
@pytest.mark.audit("31")
def test_twenty_simultaneous_first_deliveries_store_one_row_and_answer_one_201_and_nineteen_409(server):
    event = make_event(day=date(2026, 1, 1), source_event_id=f"simultaneous-{server.url}")
    barrier = threading.Barrier(20)
    responses: list = [None] * 20
    threads = [
        threading.Thread(target=_post_after_barrier, args=(server, event, barrier, responses, i)) for i in range(20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: 1, 409: 19}, [r.text for r in responses if r.status_code not in {201, 409}][:3]
    (created,) = [r.json() for r in responses if r.status_code == 201]
    duplicates = [r.json()["error"] for r in responses if r.status_code == 409]
    assert {d["code"] for d in duplicates} == {"duplicate"}
    assert {d["details"]["ack_id"] for d in duplicates} == {created["ack_id"]}
    assert {d["details"]["first_seen_at"] for d in duplicates} == {created["first_seen_at"]}
    assert (
        stored_rows(
            data_dir=server.data_dir, postgres=server.postgres, where="signal_id = ?", params=(event["signal_id"],)
        )
        == 1
    )


def _post_all(url: str, headers: dict, bodies: list, barrier, results) -> None:
    statuses: Counter = Counter()
    locked = 0
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        client.get("/healthz")
        barrier.wait()
        for body in bodies:
            response = client.post(INGEST, json=body)
            statuses[response.status_code] += 1
            locked += "locked" in response.text
    results.put((dict(statuses), locked))


@pytest.mark.audit("31")
def test_eight_processes_posting_two_thousand_distinct_and_duplicated_signals_store_each_exactly_once(server):
    distinct = make_events(1000, day=date(2026, 1, 2))
    # Processes 2k and 2k+1 post the same 250 events in the same order: duplicates race head to head.
    shares = [distinct[(p // 2) * 250 : (p // 2 + 1) * 250] for p in range(8)]
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(8), context.Queue()
    processes = [
        context.Process(target=_post_all, args=(server.url, server.auth_headers, share, barrier, results))
        for share in shares
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)

    statuses: Counter = Counter()
    for counted, _ in outcomes:
        statuses.update(counted)
    assert sum(locked for _, locked in outcomes) == 0
    assert not [code for code in statuses if code >= 500], statuses
    assert statuses == {201: 1000, 409: 1000}
    assert (
        stored_rows(data_dir=server.data_dir, postgres=server.postgres, where="partition = ?", params=("2026-01-02",))
        == 1000
    )
