"""How one answer from RiskCast's ingest is classified (audit 25)."""

from __future__ import annotations

import pytest

from emitter.outcome import DeliveryResult, DeliveryStatus, Verdict, classify_response

pytestmark = pytest.mark.audit("25")


def duplicate_body(payload_hash: str | None = "h1", ack_id: str = "ack-9") -> dict:
    details = {"ack_id": ack_id} | ({"payload_hash": payload_hash} if payload_hash else {})
    return {"error": {"code": "duplicate", "message": "Already ingested.", "details": details}}


def test_a_2xx_is_delivered_with_its_ack_id():
    classified = classify_response(201, {"ack_id": "ack-1"}, payload_hash="h1")
    assert classified.verdict is Verdict.DELIVERED and classified.ack_id == "ack-1"


def test_a_409_duplicate_with_the_same_payload_hash_is_a_duplicate_with_the_original_ack_id():
    classified = classify_response(409, duplicate_body("h1"), payload_hash="h1")
    assert classified.verdict is Verdict.DUPLICATE and classified.ack_id == "ack-9"


def test_a_409_duplicate_without_a_payload_hash_is_a_duplicate():
    assert classify_response(409, duplicate_body(None), payload_hash="h1").verdict is Verdict.DUPLICATE


def test_a_409_duplicate_of_another_payload_is_rejected_never_delivered():
    classified = classify_response(409, duplicate_body("other"), payload_hash="h1")
    assert classified.verdict is Verdict.REJECTED and classified.reason == "duplicate_payload_mismatch"


def test_a_409_that_is_not_a_duplicate_is_rejected():
    assert classify_response(409, {"error": {"code": "conflict"}}, payload_hash="h1").verdict is Verdict.REJECTED
    assert classify_response(409, None, payload_hash="h1").verdict is Verdict.REJECTED


def test_a_422_payload_mismatch_is_rejected_with_its_code():
    body = {"error": {"code": "conflict_payload_mismatch", "details": {}}}
    classified = classify_response(422, body, payload_hash="h1")
    assert classified.verdict is Verdict.REJECTED and classified.reason == "conflict_payload_mismatch"


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413])
def test_other_client_errors_are_rejected_even_without_a_json_body(status):
    classified = classify_response(status, None, payload_hash="h1")
    assert classified.verdict is Verdict.REJECTED and classified.reason == f"http_{status}"


@pytest.mark.parametrize("status", [408, 429, 500, 503])
def test_transient_errors_are_retried(status):
    assert classify_response(status, None, payload_hash="h1").verdict is Verdict.RETRY


def test_a_redirect_is_left_in_the_ledger_not_rejected():
    assert classify_response(302, None, payload_hash="h1").verdict is Verdict.GIVE_UP


def test_delivered_and_duplicate_both_count_as_delivered():
    def result(status):
        return DeliveryResult(signal_id="s", status=status, attempts=1, duration_s=0.0)

    assert result(DeliveryStatus.DELIVERED).delivered and result(DeliveryStatus.DUPLICATE).delivered
    assert not result(DeliveryStatus.REJECTED).delivered and not result(DeliveryStatus.LEDGER_ONLY).delivered
