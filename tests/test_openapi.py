"""The OpenAPI schema: it validates with no warnings, and a real server keeps to it (schemathesis)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from omenproject.schema import COMMON_ERRORS, ERROR_COMPONENT
from omenproject.testing.live_server import free_port, live_server

pytestmark = pytest.mark.audit("08")
ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
# What schemathesis asserts of every response.
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
SCHEMATHESIS_BUDGET_S = 150


def generated_schema(tmp_path: Path) -> dict:
    target = tmp_path / "schema.json"
    # --fail-on-warn raises on any warning or error of the generator; --validate checks the result
    # against the OpenAPI 3 meta-schema.
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", "--file", str(target))
    return json.loads(target.read_text())


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield f"{method.upper()} {path}", operation


def test_the_schema_generates_and_validates_with_no_warnings(tmp_path):
    schema = generated_schema(tmp_path)
    assert schema["openapi"].startswith("3.")
    assert any(path.startswith("/api/v1/signals") for path in schema["paths"])


def test_every_operation_documents_the_one_error_body_for_every_error_it_can_answer(tmp_path):
    schema = generated_schema(tmp_path)
    body = schema["components"]["schemas"][ERROR_COMPONENT]
    assert body["required"] == ["error"]
    assert body["properties"]["error"]["required"] == ["code", "message", "details", "trace_id"]
    for label, operation in operations(schema):
        responses = operation["responses"]
        assert set(COMMON_ERRORS) <= set(responses), label
        if "requestBody" in operation:
            assert "413" in responses, label
        if any(param["in"] == "path" for param in operation.get("parameters", [])):
            assert "404" in responses, label
        for status, response in responses.items():
            if status[0] in "45":
                assert response["content"]["application/json"]["schema"] == ERROR_REF, (label, status)


def test_batches_are_in_the_schema_of_both_posts(tmp_path):
    schema = generated_schema(tmp_path)
    names = {
        path: op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        for path, op in ((p, schema["paths"][p]["post"]) for p in ("/api/v1/signals", "/api/v1/riskcast/ingest"))
    }
    for name in names.values():
        kinds = [option.get("type", "object") for option in schema["components"]["schemas"][name]["oneOf"]]
        assert kinds == ["object", "array"]


@pytest.mark.django_db
def test_a_non_ascii_riskcast_cursor_is_a_400_not_a_500(client_with_scopes):
    # Found by schemathesis: base64 of non-ASCII text raised a bare ValueError.
    client = client_with_scopes("riskcast:read")
    response = client.get("/api/v1/riskcast/partitions/2026-12-04/signal-ids", {"cursor": "©Äãù"})
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"cursor": ["Not a cursor returned by this endpoint."]}


@pytest.mark.django_db
def test_a_bad_signals_cursor_is_a_400_validation_error(client_with_scopes):
    response = client_with_scopes("signals:read").get("/api/v1/signals", {"cursor": "0"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert "cursor" in response.json()["error"]["details"]


@pytest.mark.django_db
def test_an_unknown_api_path_is_the_json_error_body_even_with_debug_on(client_with_scopes, settings):
    settings.DEBUG = True
    response = client_with_scopes("riskcast:read").get("/api/v1/riskcast/partitions/0/summary")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_found"


def test_a_real_server_answers_every_generated_request_as_its_schema_says(tmp_path):
    """Schemathesis against the whole project served by gunicorn: no 5xx, no undocumented status,
    content type or body. Bounded: 25 examples per operation, a fixed seed, one worker."""
    port = free_port()
    env = {
        # The drain thread would race the generated requests for the SQLite write lock.
        "EMITTER_DRAIN_IN_PROCESS": "false",
        # The hot path reaches this same server's RiskCast over HTTP, as in the embedded mode.
        "RISKCAST_URL": f"http://127.0.0.1:{port}",
        # Thousands of requests from one key within a minute are the test, not an abuse.
        "OMEN_RATE_LIMIT_DEFAULT": "100000/min",
    }
    st = Path(sys.executable).parent / "st"
    with live_server(plugins="all", port=port, env=env, workers=1, threads=8) as server:
        started = time.monotonic()
        run = subprocess.run(
            [
                str(st),
                "run",
                f"{server.url}/api/schema/?format=json",
                f"--url={server.url}",
                "--header",
                f"Authorization: Bearer {server.api_key}",
                f"--checks={CHECKS}",
                "--max-examples=25",
                "--seed=1",  # reproducible; this seed found the non-ASCII cursor 500
                "--generation-database=none",  # no examples carried over from earlier runs
                "--no-shrink",
                "--workers=1",
                "--request-timeout=10",
                "--include-path-regex=^/api/v1/",
                "--no-color",
            ],
            cwd=tmp_path,  # schemathesis keeps a cache in its working directory
            capture_output=True,
            text=True,
            timeout=SCHEMATHESIS_BUDGET_S,
            check=False,
        )
        elapsed = time.monotonic() - started
        server_log = server.log_tail(3000)
    report = run.stdout[-12000:] + run.stderr[-2000:]
    assert run.returncode == 0, f"schemathesis failed after {elapsed:.0f}s:\n{report}\n--- server log ---\n{server_log}"
    assert "Tested:" in run.stdout, report  # it did reach the operations


@pytest.mark.audit("12")
def test_the_schema_documents_the_deprecation_headers_of_a_producer_post(tmp_path):
    responses = generated_schema(tmp_path)["paths"]["/api/v1/signals"]["post"]["responses"]
    for status in ("201", "202"):
        assert {"Deprecation", "Sunset"} <= set(responses[status]["headers"])


@pytest.mark.django_db
def test_the_api_docs_page_loads_only_its_own_files_and_no_inline_code(client):
    """/api/docs/ works offline and under the CSP: no CDN, no inline script or style."""
    import re

    from django.contrib.staticfiles import finders

    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "script-src 'self'" in page["Content-Security-Policy"]
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(url.startswith("/") for url in sources), sources
    assert "<style" not in html and not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    static = [url.removeprefix("/static/") for url in sources if url.startswith("/static/")]
    assert len(static) == 5 and all(finders.find(path) for path in static), static  # shipped with the project
    script = client.get(next(url for url in sources if "?script" in url))
    assert script["Content-Type"].startswith("application/javascript")
    assert b"/api/schema/" in script.content
