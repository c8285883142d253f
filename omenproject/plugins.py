"""The plugin registry: which apps a process runs and what each contributes.

``OMEN_PLUGINS`` names the apps; each one's ``AppConfig`` subclasses ``OmenPlugin`` and declares
its URL module, WebSocket routes, health checks and dashboard panels as dotted paths.
``omenproject`` composes whatever is enabled and never imports an app by name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.apps import AppConfig, apps
from django.utils.module_loading import import_string

# name -> AppConfig path. Order matters: it is the dependency order.
KNOWN_PLUGINS: dict[str, str] = {
    "ledger": "ledger.apps.LedgerConfig",
    "emitter": "emitter.apps.EmitterConfig",
    "riskcast": "riskcast.apps.RiskcastConfig",
    "reconcile": "reconcile.apps.ReconcileConfig",
}
REQUIRES: dict[str, tuple[str, ...]] = {
    "emitter": ("ledger",),
    "reconcile": ("ledger", "emitter"),
}


class PluginError(ValueError):
    pass


def parse_plugins(names: list[str]) -> list[str]:
    """Validate plugin names; ``all`` (or nothing) means every known plugin."""
    if not names or names == ["all"]:
        return list(KNOWN_PLUGINS)
    unknown = [n for n in names if n not in KNOWN_PLUGINS]
    if unknown:
        raise PluginError(f"unknown plugin {unknown[0]!r} (known: {', '.join(KNOWN_PLUGINS)}, or 'all')")
    chosen = set(names)
    for name in names:
        missing = [dep for dep in REQUIRES.get(name, ()) if dep not in chosen]
        if missing:
            raise PluginError(f"plugin {name!r} needs {', '.join(missing)} enabled too")
    return [n for n in KNOWN_PLUGINS if n in chosen]


class OmenPlugin(AppConfig):
    """Base for every plugin app's config: class attributes declare its contributions."""

    urls_module: str | None = None
    websocket_routes: str | None = None  # dotted path to a list of URL routes
    health_checks: tuple[str, ...] = ()  # dotted paths to callables returning HealthResult
    dashboard_panels: tuple[str, ...] = ()  # dotted paths to panel callables
    startup_hooks: tuple[str, ...] = ()  # dotted paths to callables run once when serving starts
    shutdown_hooks: tuple[str, ...] = ()  # dotted paths to callables run once at shutdown


@dataclass(frozen=True)
class HealthResult:
    name: str
    ok: bool
    detail: str = ""


def enabled_plugins() -> Iterator[OmenPlugin]:
    for config in apps.get_app_configs():
        if isinstance(config, OmenPlugin):
            yield config


def plugin_names() -> list[str]:
    return [config.label for config in enabled_plugins()]


def health_checks() -> list[Callable[[], HealthResult]]:
    return [import_string(path) for plugin in enabled_plugins() for path in plugin.health_checks]


def websocket_routes() -> list:
    routes: list = []
    for plugin in enabled_plugins():
        if plugin.websocket_routes:
            routes.extend(import_string(plugin.websocket_routes))
    return routes


def dashboard_panels() -> list[Callable]:
    return [import_string(path) for plugin in enabled_plugins() for path in plugin.dashboard_panels]
