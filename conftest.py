"""Fixtures shared by every app's tests."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from omenproject.scopes import SCOPES


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
