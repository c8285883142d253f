"""JSON log lines, trace ids from the request, and secrets redacted from every path."""

import io
import json
import logging

import pytest

from omenproject import keys, logs
from omenproject.tests.test_auth import ECHO, GOOD
from omenproject.tracing import bind_trace_id, reset_trace_id, trace_id_from_headers

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.fixture
def log_lines():
    """Every log record of the test, formatted by the project's formatter, as parsed JSON."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    loggers = [logging.getLogger(n) for n in ("django.request", "omen.access", "omen.audit", "omen.errors")]
    for lg in loggers:
        lg.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    for lg in loggers:
        lg.removeHandler(handler)


@pytest.mark.audit("45")
def test_a_log_line_is_one_json_object_with_utc_z_time_level_logger_and_trace(log_lines):
    token = bind_trace_id(TRACE)
    try:
        logging.getLogger("omen.test").warning("ledger %s", "sealed", extra={"partition": "2026-12-01"})
    finally:
        reset_trace_id(token)
    (line,) = [entry for entry in log_lines() if entry["logger"] == "omen.test"]
    assert line["ts"].endswith("Z") and line["ts"][10] == "T"
    assert (line["level"], line["message"], line["trace_id"], line["partition"]) == (
        "WARNING",
        "ledger sealed",
        TRACE,
        "2026-12-01",
    )


@pytest.mark.audit("45")
def test_every_logger_including_the_servers_goes_through_the_json_formatter(settings):
    config = settings.LOGGING
    assert config["formatters"]["json"]["()"] is logs.JsonFormatter
    assert config["root"]["handlers"] == ["stdout"]
    for name in ("django", "django.request", "uvicorn.error", "uvicorn.access", "gunicorn.error", "daphne"):
        assert config["loggers"][name]["handlers"] == ["stdout"]


@pytest.mark.audit("46")
@pytest.mark.parametrize(
    ("traceparent", "x_trace_id", "expected"),
    [
        (f"00-{TRACE}-00f067aa0ba902b7-01", None, TRACE),
        (None, TRACE.upper(), TRACE),
        ("garbage", TRACE, TRACE),
        (f"00-{'0' * 32}-00f067aa0ba902b7-01", None, None),
        (None, "short", None),
    ],
)
def test_the_trace_id_comes_from_traceparent_or_x_trace_id_when_valid(traceparent, x_trace_id, expected):
    got = trace_id_from_headers(traceparent, x_trace_id)
    assert len(got) == 32
    if expected:
        assert got == expected
    else:
        assert got != "0" * 32


@pytest.mark.audit("46")
@pytest.mark.urls("omenproject.tests.urls")
@pytest.mark.django_db
def test_the_trace_id_is_returned_and_on_every_log_line_of_the_request(log_lines, client_with_scopes):
    client = client_with_scopes("signals:write")
    response = client.post(
        ECHO, {"name": "x" * 20, "count": 1}, format="json", HTTP_TRACEPARENT=f"00-{TRACE}-00f067aa0ba902b7-01"
    )
    assert response["X-Trace-Id"] == TRACE
    assert response.json()["error"]["trace_id"] == TRACE
    request_lines = [
        line
        for line in log_lines()
        if line["logger"] in {"omen.access", "django.request", "omen.audit"} and line.get("action") != "apikey.create"
    ]
    assert {line["logger"] for line in request_lines} == {"omen.access", "django.request", "omen.audit"}
    assert all(line["trace_id"] == TRACE for line in request_lines)
    access = next(line for line in request_lines if line["logger"] == "omen.access")
    assert (access["method"], access["path"], access["status"]) == ("POST", ECHO, 400)


@pytest.mark.audit("47")
@pytest.mark.urls("omenproject.tests.urls")
@pytest.mark.django_db
def test_a_real_key_never_reaches_a_log_line_through_any_path(log_lines, make_api_key, client):
    key = make_api_key("signals:read")  # wrong scope: 403 is logged with its request
    client.post(ECHO, GOOD, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_COOKIE=f"k={key}")
    client.get("/api/v1/test/boom", HTTP_X_API_KEY=key)  # the exception text carries a key-shaped string
    logger = logging.getLogger("omen.test")
    logger.info("calling with %s", key)
    logger.info("header", extra={"headers": {"Authorization": f"Bearer {key}", "X-Api-Key": key}, "token": key})
    logger.info("dsn postgres://omen:s3cretpass@db:5432/omen and Bearer abcdefghijklmnop")
    try:
        raise ValueError(f"bad key {key}")
    except ValueError:
        logger.exception("failed")
    text = json.dumps(log_lines())
    assert key not in text and key.split("_", 2)[2] not in text
    assert "s3cretpass" not in text and "abcdefghijklmnop" not in text
    assert text.count(logs.REDACTED) >= 5
    assert keys.parse_prefix(key) is not None


def test_redaction_keeps_ordinary_values():
    assert logs.redact({"partition": "2026-12-01", "count": 3, "password": "x"}) == {
        "partition": "2026-12-01",
        "count": 3,
        "password": logs.REDACTED,
    }
