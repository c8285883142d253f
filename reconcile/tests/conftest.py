"""Reconcile against a real RiskCast on 127.0.0.1, with a ledger written directly."""

from __future__ import annotations

import itertools
import json
import sqlite3
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from ledger.core import LedgerRecord
from omenproject.signals import build_event, canonical_json
from omenproject.testing.builders import make_signal
from omenproject.testing.live_server import live_server

_days = itertools.count(1)
# Replays and seeding come from one key at full speed; rate limits are tested elsewhere.
UNLIMITED = {"OMEN_RATE_LIMIT_DEFAULT": "1000000/min"}


@pytest.fixture(scope="session")
def remote_riskcast():
    """One RiskCast-only server for the session; each test uses dates of its own."""
    with live_server(plugins="riskcast", workers=1, threads=16, env=UNLIMITED) as server:
        yield server


@pytest.fixture
def fresh_date():
    """A past date no other test of the session uses (RiskCast is shared)."""

    def make() -> str:
        return (date(2025, 1, 1) + timedelta(days=next(_days))).isoformat()

    return make


@pytest.fixture
def rnode(settings, tmp_path, remote_riskcast):
    """This process as an OMEN node with its own ledger, reconciling against ``remote_riskcast``."""
    from emitter.client import reset_client
    from ledger.services import close_ledger

    close_ledger()
    settings.LEDGER_DIR = tmp_path / "ledger"
    settings.RISKCAST_URL = remote_riskcast.url
    settings.EMITTER_RISKCAST_API_KEY = remote_riskcast.api_key
    settings.EMITTER_RETRY_BASE_S = 0.001
    settings.EMITTER_RETRY_MAX_S = 0.01
    reset_client()
    yield remote_riskcast
    reset_client()
    close_ledger()


def make_events(day: str, n: int, *, hour: int = 12) -> list[dict]:
    moment = datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)
    return [build_event(make_signal(), trace_id="ab" * 16, emitted_at=moment) for _ in range(n)]


def write_ledger(events: list[dict], *, chunk: int = 2000) -> list:
    """Append ``events`` to the process's ledger in large batches; their positions."""
    from ledger.services import ledger_append

    positions = []
    for start in range(0, len(events), chunk):
        records = [
            LedgerRecord(e["signal_id"], datetime.fromisoformat(e["emitted_at"]), canonical_json(e), e["trace_id"])
            for e in events[start : start + chunk]
        ]
        positions += ledger_append(records)
    return positions


def seal(day: str) -> None:
    from ledger.services import ledger_seal

    ledger_seal(partition=day)


def seed_riskcast(server, events: list[dict]) -> None:
    """Store ``events`` in RiskCast the way the hot path would have (batch ingest)."""
    with httpx.Client(base_url=server.url, headers=server.auth_headers, timeout=60) as http:
        for start in range(0, len(events), 100):
            body = [json.loads(canonical_json(e)) for e in events[start : start + 100]]
            answer = http.post("/api/v1/riskcast/ingest", json=body)
            assert answer.status_code == 200, answer.text
            assert set(answer.json()["counts"]) <= {"created", "duplicate"}, answer.text


def riskcast_rows(server, day: str) -> list[tuple[str, str, str]]:
    """(signal_id, payload_hash, source) of every row RiskCast holds for ``day``."""
    with sqlite3.connect(server.data_dir / "riskcast.sqlite3") as db:
        return db.execute(
            "SELECT signal_id, payload_hash, source FROM riskcast_processed_signal WHERE partition = ?", (day,)
        ).fetchall()


def riskcast_sql(server, sql: str, *params) -> None:
    with sqlite3.connect(server.data_dir / "riskcast.sqlite3") as db:
        db.execute(sql, params)
