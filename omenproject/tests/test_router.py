"""The riskcast alias is a separate database, and models are routed to their side."""

import pytest
from django.apps import apps
from django.db import connections

from omenproject.models import ApiKey
from omenproject.routers import ServiceRouter


@pytest.mark.django_db(databases=["default", "riskcast"])
def test_the_riskcast_alias_is_a_separate_database():
    assert connections["default"].settings_dict["NAME"] != connections["riskcast"].settings_dict["NAME"]
    with connections["riskcast"].cursor() as cursor:
        cursor.execute("CREATE TABLE only_on_riskcast (x INTEGER)")
        cursor.execute("INSERT INTO only_on_riskcast VALUES (1)")
    assert "only_on_riskcast" in connections["riskcast"].introspection.table_names()
    assert "only_on_riskcast" not in connections["default"].introspection.table_names()
    with connections["riskcast"].cursor() as cursor:
        cursor.execute("DROP TABLE only_on_riskcast")


def test_platform_models_live_on_default_and_riskcast_models_on_riskcast():
    router = ServiceRouter()
    assert router.db_for_write(ApiKey) == "default"
    assert router.allow_migrate("riskcast", "omenproject") is False
    for model in apps.get_app_config("riskcast").get_models():
        assert router.db_for_write(model) == "riskcast"
        assert router.db_for_read(model) == "riskcast"
    assert router.allow_migrate("riskcast", "riskcast") is True
    assert router.allow_migrate("default", "riskcast") is False


def test_default_sqlite_is_tuned_for_durable_concurrent_writes(settings):
    for alias in ("default", "riskcast"):
        options = settings.DATABASES[alias]["OPTIONS"]
        assert options["transaction_mode"] == "IMMEDIATE"
        assert "journal_mode=WAL" in options["init_command"]
        assert "synchronous=FULL" in options["init_command"]
        assert "busy_timeout=" in options["init_command"]
