"""The embedded single-node mode for real: uvicorn, every plugin, the hot path over HTTP to itself."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import httpx
import pytest

from emitter.tests.fault_server import FaultServer
from omenproject.testing.builders import make_signal
from omenproject.testing.live_server import free_port, live_server

pytestmark = pytest.mark.timeout(180)


def trace(n: int) -> dict[str, str]:
    return {"X-Trace-Id": f"{n:032x}"}


def manage(server, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]  # JSON log lines come before the command's output


@pytest.fixture(scope="module")
def embedded():
    port = free_port()
    env = {"RISKCAST_URL": f"http://127.0.0.1:{port}", "LOG_LEVEL": "INFO", "OMEN_RATE_LIMITS": "signals:write=6/min"}
    with live_server(plugins="all", server="serve", env=env, port=port) as server:
        yield server


@pytest.mark.audit("52")
@pytest.mark.audit("53")
@pytest.mark.audit("55")
@pytest.mark.audit("46")
@pytest.mark.audit("47")
def test_a_new_user_journey_gives_documented_codes_audit_rows_and_clean_logs(embedded):
    key = manage(embedded, "apikey", "create", "--name", "producer", "--scopes", "signals:write,signals:read")
    prefix = key.split("_")[1]
    url = f"{embedded.url}/api/v1/signals"
    with httpx.Client(timeout=10) as http:
        steps = {
            1: http.post(url, json=make_signal(), headers=trace(1)),
            2: http.post(url, json=make_signal(), headers=trace(2) | {"Authorization": f"Bearer {key}"}),
        }
        manage(embedded, "apikey", "revoke", prefix)
        steps[3] = http.post(url, json=make_signal(), headers=trace(3) | {"Authorization": f"Bearer {key}"})
        bootstrap = embedded.auth_headers
        for n in range(4, 12):
            steps[n] = http.post(url, json=make_signal(), headers=trace(n) | bootstrap)
    assert (steps[1].status_code, steps[1].json()["error"]["code"]) == (401, "auth_required")
    assert steps[2].status_code == 201 and steps[2].json()["status"] == "DELIVERED"
    assert (steps[3].status_code, steps[3].json()["error"]["code"]) == (401, "auth_invalid")
    limited = [n for n in range(4, 12) if steps[n].status_code == 429]
    assert limited and steps[limited[0]].json()["error"]["code"] == "rate_limited"
    assert int(steps[limited[0]].headers["Retry-After"]) >= 1
    for n, response in steps.items():
        assert response.headers["X-Trace-Id"] == f"{n:032x}"

    audit = sqlite3.connect(embedded.data_dir / "omen.sqlite3")
    audited = dict(audit.execute("SELECT trace_id, outcome FROM omenproject_auditevent WHERE action = 'api.signals'"))
    for n, response in steps.items():
        if response.status_code == 429 and n != limited[0]:
            assert f"{n:032x}" not in audited  # a throttled caller is audited once per window
        else:
            assert audited[f"{n:032x}"] == str(response.status_code)
    actions = {row[0] for row in audit.execute("SELECT action FROM omenproject_auditevent WHERE target = ?", (prefix,))}
    assert actions == {"apikey.create", "apikey.revoke"}

    time.sleep(0.5)
    log = embedded.log_path.read_text()
    assert key not in log and key.split("_", 2)[2] not in log
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    for n in steps:
        assert any(line.get("trace_id") == f"{n:032x}" and line["logger"] == "omen.access" for line in lines)


@pytest.mark.audit("46")
def test_riskcast_receives_the_trace_id_of_the_producer_request(embedded):
    key = manage(embedded, "apikey", "create", "--name", "tracer", "--scopes", "signals:write")
    with httpx.Client(timeout=10, headers={"Authorization": f"Bearer {key}"}) as http:
        body = http.post(f"{embedded.url}/api/v1/signals", json=make_signal(), headers=trace(99))
    assert body.status_code == 201
    db = sqlite3.connect(embedded.data_dir / "riskcast.sqlite3")
    (stored,) = db.execute(
        "SELECT trace_id FROM riskcast_processed_signal WHERE signal_id = ?", (body.json()["signal_id"],)
    )
    assert stored[0] == f"{99:032x}"


@pytest.mark.audit("41")
@pytest.mark.audit("42")
@pytest.mark.audit("43")
def test_sigterm_lets_the_in_flight_request_finish_flushes_the_ledger_and_exits_zero():
    with FaultServer() as riskcast:
        riskcast.hang = True
        env = {
            "RISKCAST_URL": riskcast.url,
            "LOG_LEVEL": "INFO",
            "EMITTER_READ_TIMEOUT_S": "2",
            "EMITTER_RETRY_BUDGET_S": "2",
            "EMITTER_MAX_ATTEMPTS": "1",
        }
        with live_server(plugins="ledger,emitter", server="serve", env=env) as server:
            answer: dict = {}

            def post():
                with httpx.Client(timeout=20, headers=server.auth_headers) as http:
                    answer["response"] = http.post(f"{server.url}/api/v1/signals", json=make_signal())

            sender = threading.Thread(target=post)
            sender.start()
            time.sleep(0.7)  # the request is now waiting on the hung RiskCast
            server.process.send_signal(signal.SIGTERM)
            sender.join(20)
            exit_code = server.process.wait(20)
            log = server.log_path.read_text()
        assert answer["response"].status_code == 202
        assert answer["response"].json()["status"] == "LEDGER_ONLY"
        assert exit_code == 0
        lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
        messages = [line["message"] for line in lines]
        assert any(m.startswith("draining") for m in messages)
        hooks = [line.get("hook") for line in lines if line["message"] == "shutdown hook done"]
        assert hooks.index("emitter.drain.stop_background") < hooks.index("ledger.services.close_ledger")


PROBE = """
import os, signal, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omenproject.settings")
django.setup()
from django.test import Client
from omenproject import lifecycle
seen = []
signal.signal(signal.SIGTERM, lambda s, f: seen.append(s))  # stands in for the server's handler
lifecycle.chain_signal_handlers()
print(Client().get("/readyz").status_code)
os.kill(os.getpid(), signal.SIGTERM)
print(Client().get("/readyz").status_code, Client().get("/healthz").status_code, seen == [signal.SIGTERM])
"""


@pytest.mark.audit("41")
@pytest.mark.audit("44")
def test_a_real_sigterm_turns_readiness_503_at_once_and_reaches_the_servers_handler(tmp_path):
    from omenproject.tests.helpers import clean_env, run_manage, run_python

    env = clean_env(tmp_path)
    run_manage(["migrate", "-v0"], env)
    run_manage(["migrate", "-v0", "--database", "riskcast"], env)
    result = run_python(PROBE, env)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if not line.startswith("{")]
    assert lines == ["200", "503 200 True"]
