"""Builders and fixtures shared by the ledger tests."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from ledger.core import Ledger, LedgerRecord

DAY = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
_counter = iter(range(10**9))


def make_record(**overrides) -> LedgerRecord:
    n = next(_counter)
    fields = {"signal_id": f"sig-{n:06d}", "emitted_at": DAY, "payload": b'{"n": %d}' % n, "trace_id": f"tr-{n}"}
    fields.update(overrides)
    return LedgerRecord(**fields)


class FakeClock:
    def __init__(self, now: datetime = DAY):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ledger_dir(tmp_path) -> str:
    return os.fspath(tmp_path / "ledger")


@pytest.fixture
def open_ledger(ledger_dir, clock):
    """``open_ledger(**options)`` opens the test ledger; every instance is closed afterwards."""
    opened: list[Ledger] = []

    def _open(**options) -> Ledger:
        options.setdefault("clock", clock)
        ledger = Ledger.open(ledger_dir, **options)
        opened.append(ledger)
        return ledger

    yield _open
    for ledger in opened:
        ledger.close()


def segment_path(ledger_dir: str, partition: str = "2026-03-14", number: int = 1) -> str:
    return os.path.join(ledger_dir, partition, f"{number:08d}.seg")
