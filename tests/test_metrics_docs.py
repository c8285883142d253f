"""docs/metrics.md lists every metric the project registers (the catalogue operators alert on)."""

import importlib
import re
from pathlib import Path

from prometheus_client import REGISTRY

from omenproject.plugins import KNOWN_PLUGINS

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTED = re.compile(r"^\| `(omen_[a-z0-9_]+)` \|", re.MULTILINE)


def registered_metric_names() -> set[str]:
    for module in ["omenproject.metrics", *(f"{app}.metrics" for app in KNOWN_PLUGINS)]:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    names = set()
    for family in REGISTRY.collect():
        if family.name.startswith("omen_"):
            names.add(f"{family.name}_total" if family.type == "counter" else family.name)
    return names


def test_every_registered_metric_is_in_the_catalogue():
    documented = set(DOCUMENTED.findall((ROOT / "docs" / "metrics.md").read_text()))
    missing = registered_metric_names() - documented
    assert not missing, f"metrics missing from docs/metrics.md: {sorted(missing)}"


def test_the_catalogue_names_no_metric_that_does_not_exist():
    documented = set(DOCUMENTED.findall((ROOT / "docs" / "metrics.md").read_text()))
    assert documented <= registered_metric_names()
