"""Build and tooling checks that the test command runs: lint, dead code, architecture, pins."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.audit("02")
def test_ruff_finds_nothing_in_the_whole_tree():
    result = run(str(BIN / "ruff"), "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.audit("02")
def test_the_ruff_configuration_includes_the_django_rules():
    config = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'select = \[[^\]]*"DJ"', config)


@pytest.mark.audit("07")
def test_there_are_no_dead_imports_or_variables():
    rules = "F401,F811,F841,F842,B007"
    result = run(str(BIN / "ruff"), "check", "--no-cache", "--select", rules, ".")
    assert result.returncode == 0, result.stdout


@pytest.mark.audit("07")
def test_code_is_formatted():
    result = run(str(BIN / "ruff"), "format", "--check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout


def test_the_dependency_direction_holds():
    result = run(str(BIN / "lint-imports"), "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_django_system_checks_and_migrations_are_clean(tmp_path):
    env_dir = f"OMEN_DATA_DIR={tmp_path}"
    result = run("env", env_dir, sys.executable, "manage.py", "check", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    result = run("env", env_dir, sys.executable, "manage.py", "makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr


def requirement_lines(name: str) -> list[str]:
    lines = [line.split("#")[0].strip() for line in (ROOT / name).read_text().splitlines()]
    return [line for line in lines if line and not line.startswith("-r ")]


@pytest.mark.audit("01")
@pytest.mark.audit("57")
@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt"])
def test_every_dependency_is_pinned_exactly(name):
    loose = [line for line in requirement_lines(name) if not re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[0-9][\w.]*", line)]
    assert not loose, f"not pinned with ==: {loose}"


@pytest.mark.audit("01")
@pytest.mark.audit("57")
def test_the_installed_environment_matches_the_pins_and_is_consistent():
    from importlib.metadata import PackageNotFoundError, version

    mismatched = []
    for line in requirement_lines("requirements.txt") + requirement_lines("requirements-dev.txt"):
        name, pinned = line.split("==")
        name = name.split("[")[0]
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = None
        if installed != pinned:
            mismatched.append(f"{name}: pinned {pinned}, installed {installed}")
    assert not mismatched
    result = run(sys.executable, "-m", "pip", "check")
    assert result.returncode == 0, result.stdout


@pytest.mark.audit("57")
def test_runtime_requirements_hold_no_test_tools():
    runtime = {line.split("==")[0].lower() for line in requirement_lines("requirements.txt")}
    assert not runtime & {"pytest", "pytest-django", "hypothesis", "ruff", "import-linter"}


@pytest.mark.audit("56")
def test_no_secret_is_committed_to_the_repository():
    tracked = run("git", "ls-files").stdout.split()
    pattern = re.compile(r"omen_[a-z2-7]{8}_[A-Za-z0-9_-]{43}|-----BEGIN [A-Z ]*PRIVATE KEY-----")
    leaks = []
    for name in tracked:
        path = ROOT / name
        is_text = path.is_file() and path.suffix not in {".png", ".gz", ".zst"}
        if is_text and pattern.search(path.read_text(errors="ignore")):
            leaks.append(name)
    assert not leaks


@pytest.mark.audit("03")
def test_every_app_has_tests_and_the_suite_collects_without_errors():
    result = run(sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:randomly")
    assert result.returncode == 0, result.stdout[-3000:]
    collected = result.stdout
    for app in ("omenproject", "ledger", "riskcast", "tests"):
        assert f"{app}/" in collected, f"no tests collected in {app}"
