"""RiskCast test fixtures: a reachable PostgreSQL database, and row counts from outside."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_USERS = ("postgres", "root")


def _admin_connection():
    """An autocommit connection to the ``test`` database, or None when no server answers."""
    import psycopg

    for user in PG_USERS:
        try:
            return psycopg.connect(
                host=PG_HOST, port=PG_PORT, user=user, dbname="test", connect_timeout=2, autocommit=True
            )
        except psycopg.Error:
            continue
    return None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this run (dropped at the end), or skip."""
    admin = _admin_connection()
    if admin is None:
        pytest.skip(f"no PostgreSQL accepts trust logins ({'/'.join(PG_USERS)}) on {PG_HOST}:{PG_PORT}/test")
    name = f"omen_rc_{secrets.token_hex(4)}"
    user = admin.info.user
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://{user}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def stored_rows(*, data_dir: Path, postgres: str | None, where: str, params: tuple) -> int:
    """``SELECT count(*)`` from the processed-signal table of a live server, read directly."""
    sql = f"SELECT count(*) FROM riskcast_processed_signal WHERE {where}"
    if postgres:
        import psycopg

        with psycopg.connect(postgres) as connection:
            return connection.execute(sql.replace("?", "%s"), params).fetchone()[0]
    with sqlite3.connect(data_dir / "riskcast.sqlite3") as connection:
        return connection.execute(sql, params).fetchone()[0]
