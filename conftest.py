"""Fixtures shared by every app's tests."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient

from omenproject.scopes import SCOPES

# The suite shares two cores with servers and child processes: generation speed and per-example
# time vary with load, which says nothing about the code under test. Properties are kept; the
# timing checks are not (tests that bound time measure it themselves).
settings.register_profile("omen", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("omen")


@pytest.fixture
def make_api_key(db):
    """``make_api_key("signals:write", ...)`` -> the key string (a real, hashed key row)."""
    from omenproject.services import apikey_create

    def make(*scopes: str, name: str = "test", expires_at=None) -> str:
        _, key = apikey_create(name=name, scopes=list(scopes or SCOPES), expires_at=expires_at, actor="test")
        return key

    return make


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def client_with_scopes(make_api_key):
    """``client_with_scopes("signals:write")`` -> an APIClient sending a key with those scopes."""

    def make(*scopes: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_api_key(*scopes)}")
        return client

    return make


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def riskcast():
    """A fault-injecting RiskCast on 127.0.0.1 (healthy unless told otherwise)."""
    from emitter.tests.fault_server import FaultServer

    with FaultServer() as server:
        yield server


@pytest.fixture
def node(settings, tmp_path, riskcast):
    """This process as one OMEN node: its own ledger folder, delivering to ``riskcast``."""
    from emitter.client import reset_client
    from ledger.services import close_ledger

    close_ledger()
    settings.LEDGER_DIR = tmp_path / "ledger"
    settings.RISKCAST_URL = riskcast.url
    settings.EMITTER_RETRY_BASE_S = 0.001
    settings.EMITTER_RETRY_MAX_S = 0.01
    settings.EMITTER_READ_TIMEOUT_S = 0.5
    settings.EMITTER_RETRY_BUDGET_S = 2.0
    reset_client()
    yield riskcast
    reset_client()
    close_ledger()
