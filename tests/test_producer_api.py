"""POST /api/v1/signals: validation, ledger first, hot path, idempotency; and the reads."""

from __future__ import annotations

import json
import threading

import pytest

from emitter.models import Delivery
from emitter.tests.fault_server import Fault
from ledger.selectors import ledger_records_by_partition, ledger_records_by_signal_id
from omenproject.signals import signal_id_of
from omenproject.testing.builders import make_signal

pytestmark = pytest.mark.django_db
URL = "/api/v1/signals"


@pytest.fixture
def producer(client_with_scopes):
    return client_with_scopes("signals:write", "signals:read")


def post(client, body, **extra):
    return client.post(URL, json.dumps(body), content_type="application/json", **extra)


@pytest.mark.audit("13")
@pytest.mark.audit("24")
def test_a_delivered_signal_is_in_the_ledger_and_answers_201(producer, node):
    response = post(producer, make_signal())
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"signal_id", "status", "partition", "seq", "trace_id"}
    assert body["status"] == "DELIVERED" and body["trace_id"] == response["X-Trace-Id"]
    (stored,) = ledger_records_by_signal_id(body["signal_id"])
    assert stored.seq == body["seq"] and stored.record.trace_id == body["trace_id"]
    assert node.commits[body["signal_id"]] == 1


@pytest.mark.audit("13")
def test_when_the_ledger_cannot_write_the_producer_gets_503_and_nothing_is_sent(producer, node, settings, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    settings.LEDGER_DIR = blocker / "ledger"
    response = post(producer, make_signal())
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "ledger_unavailable"
    assert not node.received
    assert not Delivery.objects.exists()


@pytest.mark.audit("24")
def test_with_riskcast_down_the_signal_is_ledger_only_and_answers_202(producer, node):
    node.error_rate = 1.0
    response = post(producer, make_signal())
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "LEDGER_ONLY" and body["seq"] >= 1 and body["partition"]
    assert ledger_records_by_signal_id(body["signal_id"])
    assert Delivery.objects.get(signal_id=body["signal_id"]).status == "LEDGER_ONLY"


@pytest.mark.audit("10")
def test_reposting_the_same_content_appends_nothing_and_returns_the_original(producer, node):
    content = make_signal()
    first = post(producer, content).json()
    again = post(producer, content).json()
    assert again["signal_id"] == first["signal_id"] and again["seq"] == first["seq"]
    assert again["trace_id"] == first["trace_id"]
    assert len(list(ledger_records_by_partition(first["partition"]))) == 1
    assert node.commits[first["signal_id"]] == 1


def test_concurrent_posts_of_the_same_content_append_it_once(producer, node, transactional_db):
    content, barrier, answers = make_signal(), threading.Barrier(8), []

    def send():
        barrier.wait()
        response = post(producer, content)
        answers.append((response.status_code, response.json().get("seq")))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # One appended it; the others got its position back (202 while it was still PENDING).
    assert len(answers) == 8 and len({seq for _, seq in answers}) == 1, answers
    assert {status for status, _ in answers} <= {201, 202} and (201, answers[0][1]) in answers
    assert Delivery.objects.count() == 1
    assert len(list(ledger_records_by_partition(Delivery.objects.get().partition))) == 1


def test_a_known_signal_id_with_other_content_is_409_and_untouched(producer, node):
    first = post(producer, make_signal()).json()
    Delivery.objects.filter(signal_id=first["signal_id"]).update(input_event_hash="0" * 64)
    response = post(producer, make_signal(source_event_id="evt-forged"))
    assert response.status_code in (201, 202)  # other content: another id
    Delivery.objects.filter(signal_id=first["signal_id"]).update(input_event_hash="1" * 64)
    row = Delivery.objects.get(signal_id=first["signal_id"])
    # re-post the first content: its id is known with another hash -> conflict
    content = json.loads(ledger_records_by_signal_id(first["signal_id"])[0].record.payload)["signal"]
    response = post(producer, content)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict_payload_mismatch"
    assert Delivery.objects.get(signal_id=first["signal_id"]).seq == row.seq


@pytest.mark.audit("08")
@pytest.mark.parametrize(
    ("body", "content_type", "field"),
    [
        ("{not json", "application/json", "body"),
        ("source=x", "application/x-www-form-urlencoded", "content_type"),
        ('{"probability": NaN}', "application/json", "body"),
        (json.dumps(make_signal(probability=1.5)), "application/json", "probability"),
        (json.dumps(make_signal(observed_at="2026-12-03T10:00:00")), "application/json", "observed_at"),
        (json.dumps(make_signal(surprise=1)), "application/json", "surprise"),
        (json.dumps([]), "application/json", "non_field_errors"),
        (json.dumps([make_signal()] * 1001), "application/json", "non_field_errors"),
        ("42", "application/json", None),
    ],
)
def test_invalid_bodies_are_400_naming_the_field_and_nothing_is_stored(producer, node, body, content_type, field):
    response = producer.post(URL, body, content_type=content_type)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    if field:
        assert field in json.dumps(error["details"])
    assert not Delivery.objects.exists() and not node.received


@pytest.mark.audit("08")
def test_one_bad_item_refuses_the_whole_batch_naming_its_index(producer, node):
    response = post(producer, [make_signal(), make_signal(confidence=-1)])
    assert response.status_code == 400
    assert "1" in response.json()["error"]["details"]
    assert not Delivery.objects.exists()


def test_a_batch_answers_per_item_and_201_only_when_all_were_delivered(producer, node):
    response = post(producer, [make_signal() for _ in range(5)])
    assert response.status_code == 201
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["DELIVERED"] * 5
    assert len({r["seq"] for r in results}) == 5
    assert node.requests_received == 1  # the hot path sends a batch as one request
    node.script(Fault.error(503), Fault.error(503), Fault.error(503))
    response = post(producer, [make_signal(), make_signal()])
    assert response.status_code == 202
    assert {r["status"] for r in response.json()["results"]} == {"LEDGER_ONLY"}
    held, fresh = make_signal(), make_signal()
    node.stored[signal_id_of(held)] = {"ack_id": "ack-x", "payload_hash": "0" * 64, "body": b"{}"}
    response = post(producer, [held, fresh])
    assert response.status_code == 202
    assert [r["status"] for r in response.json()["results"]] == ["REJECTED", "DELIVERED"]


@pytest.mark.audit("09")
def test_a_signal_is_partitioned_by_the_utc_date_and_read_back_in_z(producer, node):
    body = post(producer, make_signal(observed_at="2026-12-02T23:30:00-02:00")).json()
    detail = producer.get(f"{URL}/{body['signal_id']}").json()
    assert detail["event"]["observed_at"] == "2026-12-03T01:30:00Z"
    assert detail["emitted_at"].endswith("Z") and detail["event"]["emitted_at"].endswith("Z")
    assert body["partition"] == detail["emitted_at"][:10]


def test_a_signal_is_read_with_its_position_status_and_event(producer, node):
    body = post(producer, make_signal()).json()
    detail = producer.get(f"{URL}/{body['signal_id']}").json()
    assert (detail["seq"], detail["status"], detail["partition"]) == (body["seq"], "DELIVERED", body["partition"])
    assert detail["event"]["signal_id"] == body["signal_id"]
    assert producer.get(f"{URL}/sig_{'0' * 32}").status_code == 404


def test_the_list_filters_by_status_and_pages_with_a_cursor(producer, node):
    for _ in range(5):
        post(producer, make_signal())
    node.error_rate = 1.0
    post(producer, make_signal())
    page = producer.get(URL, {"limit": 2}).json()
    assert len(page["results"]) == 2 and page["next"]
    seen = [r["seq"] for r in page["results"]]
    while page["next"]:
        page = producer.get(page["next"]).json()
        seen += [r["seq"] for r in page["results"]]
    assert seen == sorted(seen) and len(seen) == 6
    only = producer.get(URL, {"status": "LEDGER_ONLY"}).json()["results"]
    assert [r["status"] for r in only] == ["LEDGER_ONLY"]
    assert producer.get(URL, {"status": "LOST"}).status_code == 400


def test_writing_needs_signals_write_and_reading_signals_read(client_with_scopes, node):
    reader, writer = client_with_scopes("signals:read"), client_with_scopes("signals:write")
    assert post(reader, make_signal()).status_code == 403
    assert writer.get(URL).status_code == 403
    assert reader.get(URL).status_code == 200
