"""OMEN_PLUGINS chooses the apps; each plugin's routes exist only when it is enabled."""

import pytest

from omenproject.plugins import KNOWN_PLUGINS, PluginError, parse_plugins
from omenproject.tests.helpers import clean_env, run_manage


def routes_of(tmp_path, plugins: str) -> dict[str, set[str]]:
    result = run_manage(["routes"], clean_env(tmp_path, OMEN_PLUGINS=plugins))
    assert result.returncode == 0, result.stderr
    by_namespace: dict[str, set[str]] = {}
    for line in result.stdout.splitlines():
        namespace, route, _ = line.split("\t")
        by_namespace.setdefault(namespace.split(":")[0], set()).add(route)
    return by_namespace


def test_all_means_every_plugin_in_dependency_order():
    assert parse_plugins(["all"]) == list(KNOWN_PLUGINS)
    assert parse_plugins([]) == list(KNOWN_PLUGINS)
    assert parse_plugins(["reconcile", "emitter", "ledger"]) == ["ledger", "emitter", "reconcile"]


def test_unknown_plugins_and_missing_dependencies_are_refused():
    with pytest.raises(PluginError, match="unknown plugin 'nope'"):
        parse_plugins(["nope"])
    with pytest.raises(PluginError, match="needs ledger"):
        parse_plugins(["emitter"])


def test_a_riskcast_only_process_serves_no_omen_routes(tmp_path):
    routes = routes_of(tmp_path, "riskcast")
    assert routes.get("riskcast"), "the riskcast plugin contributes routes"
    assert not ({"ledger", "emitter", "reconcile"} & routes.keys())
    assert all(r.startswith("/api/v1/riskcast/") for r in routes["riskcast"])


def test_an_omen_only_process_serves_no_riskcast_routes(tmp_path):
    routes = routes_of(tmp_path, "ledger,emitter,reconcile")
    assert "riskcast" not in routes
    everything = routes_of(tmp_path, "all")
    assert routes.keys() | {"riskcast"} == everything.keys()


def test_platform_routes_are_served_whatever_the_plugins(tmp_path):
    for plugins in ("riskcast", "ledger"):
        platform = routes_of(tmp_path, plugins)["-"]
        assert {"/healthz", "/readyz", "/metrics", "/api/schema/"} <= platform
