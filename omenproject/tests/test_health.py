"""Liveness does no I/O; readiness checks the databases, the ledger folder and draining."""

import pytest

from omenproject import lifecycle


@pytest.fixture(autouse=True)
def _not_draining():
    lifecycle.reset_for_tests()
    yield
    lifecycle.reset_for_tests()


def test_healthz_answers_without_touching_the_database(client):
    # No django_db mark: any query here would raise.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db(databases=["default", "riskcast"])
def test_readyz_is_200_when_everything_is_reachable(client, settings, tmp_path):
    settings.LEDGER_DIR = tmp_path / "ledger"
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    checks = response.json()["checks"]
    assert checks["database:default"]["ok"] and checks["database:riskcast"]["ok"] and checks["ledger_dir"]["ok"]


@pytest.mark.audit("64")
@pytest.mark.django_db(databases=["default", "riskcast"])
def test_readyz_is_503_while_draining(client, settings, tmp_path):
    settings.LEDGER_DIR = tmp_path / "ledger"
    lifecycle.begin_draining()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["not_draining"] == {"ok": False, "detail": "draining"}


@pytest.mark.audit("64")
@pytest.mark.django_db(databases=["default", "riskcast"])
def test_readyz_is_503_when_the_ledger_folder_is_not_writable(client, settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.LEDGER_DIR = blocker / "ledger"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["ledger_dir"]["ok"] is False
