import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from prometheus_client import REGISTRY

from ledger import core
from ledger.core import fsutil
from ledger.selectors import (
    ledger_partition_summary,
    ledger_records_by_partition,
    ledger_records_by_signal_id,
    ledger_storage_stats,
)
from ledger.services import close_ledger, get_ledger, ledger_append
from ledger.tests.conftest import DAY, make_record, segment_path
from omenproject.errors import LedgerBusy, LedgerUnavailable, PayloadTooLarge

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(autouse=True)
def ledger_settings(settings, tmp_path):
    close_ledger()
    settings.LEDGER_DIR = tmp_path / "ledger"
    settings.LEDGER_SEGMENT_MAX_RECORDS = 5
    settings.LEDGER_MAX_RECORD_BYTES = 4096
    yield settings
    close_ledger()


def _metric(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.audit("13")
@pytest.mark.audit("49")
def test_ledger_append_returns_positions_only_after_the_fsync(monkeypatch, ledger_settings):
    synced = []
    real = fsutil.fsync
    monkeypatch.setattr(fsutil, "fsync", lambda fd: (real(fd), synced.append(os.readlink(f"/proc/self/fd/{fd}"))))
    before = _metric("omen_ledger_appends_total")
    [position] = ledger_append([make_record(signal_id="first")])
    assert synced[-1].endswith(".seg")
    assert (position.partition, position.seq) == ("2026-03-14", 1)
    assert [s.signal_id for s in ledger_records_by_partition("2026-03-14")] == ["first"]
    assert _metric("omen_ledger_appends_total") == before + 1


@pytest.mark.audit("13")
def test_a_ledger_failure_becomes_ledger_unavailable_and_nothing_is_stored(monkeypatch, ledger_settings):
    ledger_append([make_record(signal_id="kept")])

    def broken(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fsutil, "fsync", broken)
    with pytest.raises(LedgerUnavailable) as raised:
        ledger_append([make_record(signal_id="refused")])
    assert raised.value.status_code == 503 and raised.value.default_code == "ledger_unavailable"
    monkeypatch.undo()
    # The next call reopens the ledger (recovery) and acknowledges again.
    ledger_append([make_record(signal_id="after")])
    assert [s.signal_id for s in ledger_records_by_partition("2026-03-14")] == ["kept", "after"]


@pytest.mark.audit("13")
def test_a_full_queue_becomes_ledger_busy_with_retry_after(monkeypatch, ledger_settings):
    ledger = get_ledger()

    def busy(records):
        raise core.LedgerBusy("queue full")

    monkeypatch.setattr(ledger, "append", busy)
    with pytest.raises(LedgerBusy) as raised:
        ledger_append([make_record()])
    assert raised.value.status_code == 503 and raised.value.retry_after == ledger_settings.LEDGER_BUSY_RETRY_AFTER_S


@pytest.mark.audit("14")
def test_an_oversized_record_becomes_payload_too_large(ledger_settings):
    with pytest.raises(PayloadTooLarge):
        ledger_append([make_record(payload=b"x" * 5000)])


@pytest.mark.audit("21")
def test_the_selectors_find_by_signal_id_and_report_storage(ledger_settings):
    ledger_append([make_record(signal_id=f"s{i}") for i in range(12)])
    assert ledger_records_by_signal_id("s7")[0].seq == 8
    stats = ledger_storage_stats()
    assert (stats["partitions"], stats["segments"], stats["records"]) == (1, 3, 12)
    assert stats["bytes"] == sum(
        os.path.getsize(segment_path(str(ledger_settings.LEDGER_DIR), number=n)) for n in (1, 2, 3)
    )
    assert ledger_partition_summary("2026-03-14")["records"] == 12


@pytest.mark.audit("15")
def test_a_torn_tail_is_counted_in_the_metric_when_the_ledger_opens(ledger_settings):
    ledger_append([make_record()])
    close_ledger()
    with open(segment_path(str(ledger_settings.LEDGER_DIR)), "ab") as f:
        f.write(b"\x00" * 100)
    before = _metric("omen_ledger_torn_tail_truncations_total")
    get_ledger()
    assert _metric("omen_ledger_torn_tail_truncations_total") == before + 1


@pytest.mark.audit("20")
def test_the_seal_command_seals_once_and_reports_a_no_op_the_second_time(ledger_settings):
    ledger_append([make_record()])
    get_ledger().clock = lambda: DAY + timedelta(days=2)
    out = StringIO()
    call_command("ledger", "seal", "--dry-run", stdout=out)
    assert "would seal 2026-03-14 (1 records)" in out.getvalue()
    out = StringIO()
    call_command("ledger", "seal", "--partition", "2026-03-14", stdout=out)
    assert "sealed 2026-03-14 (1 records)" in out.getvalue()
    out = StringIO()
    call_command("ledger", "seal", "--partition", "2026-03-14", stdout=out)
    assert "1 already sealed" in out.getvalue()
    assert ledger_append([make_record()])[0].partition == "2026-03-14-late"


@pytest.mark.audit("20")
def test_the_seal_command_refuses_a_bad_partition_name(ledger_settings):
    with pytest.raises(CommandError, match="not a partition name"):
        call_command("ledger", "seal", "--partition", "yesterday")


@pytest.mark.audit("22")
def test_the_verify_command_fails_on_corruption(ledger_settings):
    positions = ledger_append([make_record() for _ in range(4)])
    out = StringIO()
    call_command("ledger", "verify", stdout=out)
    assert out.getvalue().startswith("ok: 1 partitions")
    with open(segment_path(str(ledger_settings.LEDGER_DIR)), "r+b") as f:
        f.seek(positions[1].offset + 25)
        f.write(b"\x00\x01\x02")
    before = _metric("omen_ledger_corruptions_total", source="verify")
    err = StringIO()
    with pytest.raises(CommandError, match="verify found 1 problem"):
        call_command("ledger", "verify", "--partition", "2026-03-14", stdout=StringIO(), stderr=err)
    assert f"offset {positions[1].offset}" in err.getvalue()
    assert _metric("omen_ledger_corruptions_total", source="verify") == before + 1


@pytest.mark.audit("22")
def test_manage_py_ledger_verify_exits_non_zero_on_corruption(tmp_path):
    ledger_dir = tmp_path / "ledger"
    ledger = core.Ledger.open(ledger_dir)
    positions = ledger.append([make_record() for _ in range(3)])
    ledger.close()
    with open(segment_path(str(ledger_dir)), "r+b") as f:
        f.seek(positions[1].offset + 30)
        f.write(b"\xff")
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "LEDGER_DIR": str(ledger_dir), "OMEN_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "manage.py", "ledger", "verify"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0 and "corrupt range" in done.stderr


def test_the_stats_command_prints_one_line(ledger_settings):
    ledger_append([make_record() for _ in range(6)])
    out = StringIO()
    call_command("ledger", "stats", stdout=out)
    assert out.getvalue().startswith("1 partitions, 2 segments, 6 records, ")
