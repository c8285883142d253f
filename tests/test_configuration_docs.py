"""docs/configuration.md documents exactly the variables the code reads (the env matrix)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
READERS = re.compile(r'(?:env_\w+|is_set)\(\s*"([A-Z][A-Z0-9_]+)"')
SCRIPT_VARS = re.compile(r"\$\{([A-Z][A-Z0-9_]+):-")


def variables_in_code() -> set[str]:
    found = set()
    for path in [*ROOT.glob("*/settings.py"), *ROOT.glob("*/conf.py")]:
        found |= set(READERS.findall(path.read_text()))
    for path in (ROOT / "scripts").iterdir():
        found |= set(SCRIPT_VARS.findall(path.read_text()))
    return found


def documented_variables() -> dict[str, list[str]]:
    rows = {}
    for line in (ROOT / "docs" / "configuration.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = cells
    return rows


@pytest.mark.audit("65")
def test_every_variable_the_code_reads_is_documented():
    missing = sorted(variables_in_code() - documented_variables().keys())
    assert not missing, f"undocumented variables: {missing}"


@pytest.mark.audit("65")
def test_every_documented_variable_is_read_somewhere():
    stale = sorted(documented_variables().keys() - variables_in_code())
    assert not stale, f"documented but never read: {stale}"


@pytest.mark.audit("65")
def test_each_row_has_a_default_a_reader_an_example_and_a_meaning():
    for name, (_, default, read_by, example, meaning) in documented_variables().items():
        assert default and example and len(meaning) > 10, name
        assert set(re.split(r"[,\s]+", read_by)) <= {"all", "omen", "riskcast", "server"}, name
