"""Real ``manage.py reconcile`` processes: SIGKILL mid-run, two at once beside the drain, SIGTERM."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time

import httpx
import pytest

from omenproject.tests.helpers import ROOT, clean_env, run_manage

from .conftest import make_events, riskcast_rows, seal, seed_riskcast, write_ledger

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(240)]


@pytest.fixture
def node_env(rnode, tmp_path, settings):
    """A migrated data dir whose ledger is the one this test writes, for child processes."""
    env = clean_env(
        tmp_path,
        LEDGER_DIR=str(settings.LEDGER_DIR),
        OMEN_PLUGINS="ledger,emitter,reconcile",
        RISKCAST_URL=rnode.url,
        EMITTER_RISKCAST_API_KEY=rnode.api_key,
        LOG_LEVEL="WARNING",
    )
    assert run_manage(["migrate", "-v0"], env).returncode == 0
    return env


def reconcile_process(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "reconcile", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def replayed_so_far(env: dict, day: str) -> int:
    try:
        with sqlite3.connect(f"{env['OMEN_DATA_DIR']}/omen.sqlite3", timeout=5) as db:
            row = db.execute("SELECT replayed FROM reconcile_partitionstate WHERE partition = ?", (day,)).fetchone()
    except sqlite3.OperationalError:
        return 0
    return row[0] if row else 0


def riskcast_duplicates(server) -> float:
    text = httpx.get(f"{server.url}/metrics", headers=server.auth_headers, timeout=10).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("omen_riskcast_ingest_total{") and 'outcome="duplicate"' in line
    )


@pytest.mark.audit("39")
def test_sigkill_mid_run_resumes_without_replaying_a_confirmed_signal(node_env, rnode, fresh_date):
    day = fresh_date()
    events = make_events(day, 400)
    write_ledger(events)
    seal(day)
    seed_riskcast(rnode, events[:40])
    node_env |= {"RECONCILE_BATCH_SIZE": "10"}
    duplicates_before = riskcast_duplicates(rnode)
    kills = 0
    for _ in range(3):
        before = replayed_so_far(node_env, day) if kills else 0
        process = reconcile_process(node_env, "--partition", day)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            if len(riskcast_rows(rnode, day)) >= 40 + (kills + 1) * 60 or replayed_so_far(node_env, day) > before:
                break
            time.sleep(0.02)
        time.sleep(0.1)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.communicate(timeout=30)
    assert kills >= 2, "the runs ended before they could be killed"
    assert len(riskcast_rows(rnode, day)) < 400  # it really was killed mid-run
    final = run_manage(["reconcile", "--partition", day], node_env)
    assert final.returncode == 0, final.stderr
    assert f"{day}: completed" in final.stdout
    assert sorted(sid for sid, _, _ in riskcast_rows(rnode, day)) == sorted(e["signal_id"] for e in events)
    # Each run recomputes what is missing from RiskCast: not one confirmed signal went out twice.
    assert riskcast_duplicates(rnode) == duplicates_before
    again = run_manage(["reconcile", "--partition", day, "--force"], node_env)
    assert "missing 0, replayed 0" in again.stdout


@pytest.mark.audit("39")
def test_two_reconcilers_beside_the_drain_worker_leave_no_duplicate_and_no_difference(node_env, rnode, fresh_date):
    day = fresh_date()
    events = make_events(day, 300)
    write_ledger(events)
    seal(day)
    seed_riskcast(rnode, events[:100])
    env = node_env | {"EMITTER_DRAIN_PENDING_GRACE_S": "0", "RECONCILE_BATCH_SIZE": "20"}
    drain = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "drain", "--loop", "--interval", "0.2"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first, second = reconcile_process(env, "--partition", day), reconcile_process(env, "--partition", day)
        outputs = [p.communicate(timeout=120)[0] for p in (first, second)]
    finally:
        drain.send_signal(signal.SIGTERM)
        drain.communicate(timeout=30)
    assert any("completed" in out or "skipped" in out for out in outputs), outputs
    final = run_manage(["reconcile", "--partition", day, "--force"], node_env)
    assert final.returncode == 0, final.stderr
    assert f"{day}: completed, missing 0" in final.stdout
    ids = [sid for sid, _, _ in riskcast_rows(rnode, day)]
    assert len(ids) == len(set(ids)) == 300
    assert set(ids) == {e["signal_id"] for e in events}


@pytest.mark.audit("39")
def test_a_held_lock_keeps_a_second_process_off_the_date(node_env, rnode, fresh_date, settings):
    from reconcile.lock import partition_lock

    day = fresh_date()
    write_ledger(make_events(day, 5))
    seal(day)
    with partition_lock(settings.LEDGER_DIR, day):
        done = run_manage(["reconcile", "--partition", day], node_env)
    assert "skipped (another reconciler holds this date)" in done.stdout
    assert riskcast_rows(rnode, day) == []


@pytest.mark.audit("38")
def test_the_command_exits_non_zero_when_riskcast_holds_an_extra(node_env, rnode, fresh_date):
    day = fresh_date()
    write_ledger(make_events(day, 3))
    seal(day)
    seed_riskcast(rnode, make_events(day, 1))  # an id the ledger never had
    done = run_manage(["reconcile", "--partition", day], node_env)
    assert done.returncode != 0
    assert "reported 1 extra" in done.stdout and "need attention" in done.stderr


def test_the_loop_stops_cleanly_on_sigterm(node_env):
    process = reconcile_process(node_env, "--loop", "--interval", "0.2")
    time.sleep(2.5)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "reconcile stopped after its current batch" in out
    with sqlite3.connect(f"{node_env['OMEN_DATA_DIR']}/omen.sqlite3") as db:
        actions = [row[0] for row in db.execute("SELECT action FROM omenproject_auditevent")]
    assert "reconcile.loop" in actions
