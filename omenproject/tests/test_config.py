"""Bad configuration stops startup with one clear line naming the variable."""

import pytest

from omenproject.tests.helpers import clean_env, production_env, run_manage

BAD_CONFIG = [
    ({"OMEN_PLUGINS": "ledger,nope"}, "OMEN_PLUGINS"),
    ({"OMEN_PLUGINS": "emitter"}, "OMEN_PLUGINS"),
    ({"DATABASE_URL": "bogus://x/y"}, "DATABASE_URL"),
    ({"RISKCAST_DATABASE_URL": "not a url"}, "RISKCAST_DATABASE_URL"),
    ({"SQLITE_BUSY_TIMEOUT_MS": "soon"}, "SQLITE_BUSY_TIMEOUT_MS"),
    ({"DEBUG": "maybe"}, "DEBUG"),
    ({"CACHE_URL": "memcached://x"}, "CACHE_URL"),
    ({"OMEN_RATE_LIMITS": "signals:write=lots"}, "OMEN_RATE_LIMITS"),
    ({"OMEN_BOOTSTRAP_API_KEY": "hunter2"}, "OMEN_BOOTSTRAP_API_KEY"),
]


@pytest.mark.audit("65")
@pytest.mark.parametrize(("overrides", "variable"), BAD_CONFIG)
def test_bad_configuration_stops_startup_with_one_line_naming_the_variable(tmp_path, overrides, variable):
    result = run_manage(["check"], clean_env(tmp_path, **overrides))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"configuration error: {variable}:")
    assert "Traceback" not in result.stderr


@pytest.mark.audit("56")
@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"SECRET_KEY": ""}, "is required"),
        ({"SECRET_KEY": "omen-development-only-insecure-key-never-use-in-production-0000"}, "development default"),
        ({"SECRET_KEY": "short"}, "too weak"),
    ],
)
def test_production_refuses_a_missing_default_or_weak_secret(tmp_path, overrides, problem):
    result = run_manage(["check"], production_env(tmp_path, **overrides))
    assert result.returncode == 2
    assert result.stderr.startswith("configuration error: SECRET_KEY:")
    assert problem in result.stderr


@pytest.mark.audit("56")
def test_production_settings_pass_the_deployment_checks(tmp_path):
    result = run_manage(["check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_development_defaults_start_with_nothing_set(tmp_path):
    result = run_manage(["check"], clean_env(tmp_path))
    assert result.returncode == 0, result.stderr
