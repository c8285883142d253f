"""The store: SQLite pragmas and BEGIN IMMEDIATE, lock timeouts as 503, migrations both ways."""

from __future__ import annotations

import sqlite3

import httpx
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.db.backends.sqlite3.base import DatabaseWrapper

from omenproject.testing.live_server import live_server
from riskcast.services import IncomingSignal, signals_ingest
from riskcast.tests.builders import make_event

TABLE = "riskcast_processed_signal"


def _incoming(event: dict) -> IncomingSignal:
    from riskcast.intake import incoming

    return incoming(event)


@pytest.fixture
def riskcast_sqlite(tmp_path, django_db_blocker):
    """A live connection configured exactly like the ``riskcast`` alias, on a real file."""
    config = dict(settings.DATABASES["riskcast"])
    if not config["ENGINE"].endswith("sqlite3"):
        pytest.skip("RISKCAST_DATABASE_URL points to PostgreSQL; the SQLite pragmas do not apply")
    wrapper = DatabaseWrapper({**config, "NAME": str(tmp_path / "riskcast.sqlite3")}, alias="riskcast_probe")
    with django_db_blocker.unblock():  # a file of its own, outside the test databases
        yield wrapper
        wrapper.close()


def _pragma(wrapper, name: str):
    with wrapper.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        return cursor.fetchone()[0]


@pytest.mark.audit("32")
def test_a_live_riskcast_connection_runs_in_wal_with_full_sync_and_a_busy_timeout(riskcast_sqlite):
    assert _pragma(riskcast_sqlite, "journal_mode") == "wal"
    assert _pragma(riskcast_sqlite, "synchronous") == 2  # FULL
    assert _pragma(riskcast_sqlite, "busy_timeout") == settings.SQLITE_BUSY_TIMEOUT_MS > 0


@pytest.mark.audit("32")
@pytest.mark.django_db(databases=["default", "riskcast"], transaction=True)
def test_ingest_writes_open_their_transaction_with_begin_immediate():
    connection = connections["riskcast"]
    if connection.vendor != "sqlite":
        pytest.skip("BEGIN IMMEDIATE is SQLite's; PostgreSQL takes row locks")
    connection.ensure_connection()
    statements: list[str] = []
    connection.connection.set_trace_callback(statements.append)
    try:
        signals_ingest(signals=[_incoming(make_event(7))], source="hot_path", actor="test")
    finally:
        connection.connection.set_trace_callback(None)
    begins = [s for s in statements if s.upper().startswith("BEGIN")]
    assert begins and all(s.upper().startswith("BEGIN IMMEDIATE") for s in begins), statements


@pytest.mark.audit("32")
def test_a_lock_wait_beyond_the_busy_timeout_answers_503_overloaded_with_retry_after_never_500():
    with live_server(plugins="riskcast", workers=1, threads=4, env={"SQLITE_BUSY_TIMEOUT_MS": "50"}) as server:
        holder = sqlite3.connect(server.data_dir / "riskcast.sqlite3", isolation_level=None)
        with httpx.Client(base_url=server.url, headers=server.auth_headers, timeout=30) as client:
            holder.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
            try:
                blocked = client.post("/api/v1/riskcast/ingest", json=make_event(8))
            finally:
                holder.execute("ROLLBACK")
            after = client.post("/api/v1/riskcast/ingest", json=make_event(8))
        holder.close()
    assert blocked.status_code == 503, blocked.text
    assert blocked.json()["error"]["code"] == "overloaded"
    assert int(blocked.headers["Retry-After"]) >= 1
    assert after.status_code == 201  # nothing was stored by the refused attempt


def _riskcast_schema() -> tuple[set[str], dict]:
    connection = connections["riskcast"]
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        constraints = connection.introspection.get_constraints(cursor, TABLE) if TABLE in tables else {}
    return tables, constraints


@pytest.mark.audit("33")
@pytest.mark.django_db(databases=["default", "riskcast"], transaction=True)
def test_migrations_take_an_empty_database_forward_and_back():
    call_command("migrate", "riskcast", "zero", database="riskcast", verbosity=0)
    assert TABLE not in _riskcast_schema()[0]

    call_command("migrate", "riskcast", database="riskcast", verbosity=0)
    tables, constraints = _riskcast_schema()
    assert TABLE in tables
    assert constraints["riskcast_signal_id_unique"]["unique"]
    assert constraints["riskcast_signal_id_unique"]["columns"] == ["signal_id"]
    assert constraints["riskcast_partition_signal"]["columns"] == ["partition", "signal_id"]
    assert constraints["riskcast_partition_digest"]["columns"] == ["partition", "id_hash_hi", "id_hash_lo"]

    call_command("migrate", "riskcast", "zero", database="riskcast", verbosity=0)
    assert TABLE not in _riskcast_schema()[0]
    call_command("migrate", "riskcast", database="riskcast", verbosity=0)


@pytest.mark.audit("33")
@pytest.mark.django_db(databases=["default", "riskcast"])
def test_the_models_and_the_migrations_agree():
    call_command("makemigrations", "riskcast", check=True, dry_run=True, verbosity=0)
