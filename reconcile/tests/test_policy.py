"""The pure decisions: needs_reconcile's truth table, the sealed/late policy, the digest."""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

import pytest

from reconcile.digest import ids_digest
from reconcile.policy import Status, may_reconcile, needs_reconcile

# status, high_seq now, completed high_seq, late high now, late completed -> needed, reason contains
TRUTH_TABLE = [
    (Status.NEVER, 10, None, None, None, True, "never reconciled"),
    (Status.NEVER, None, None, None, None, True, "never reconciled"),
    (Status.RUNNING, 10, 10, None, None, True, "did not complete (RUNNING)"),
    (Status.PARTIAL, 10, 10, None, None, True, "did not complete (PARTIAL)"),
    (Status.FAILED, 10, 10, None, None, True, "did not complete (FAILED)"),
    (Status.COMPLETED, 10, 10, None, None, False, "up to date"),
    (Status.COMPLETED, None, None, None, None, False, "up to date"),
    (Status.COMPLETED, 12, 10, None, None, True, "high-water seq moved from 10 to 12"),
    (Status.COMPLETED, 10, None, None, None, True, "high-water seq moved from None to 10"),
    (Status.COMPLETED, 10, 10, 15, None, True, "late partition changed"),
    (Status.COMPLETED, 10, 10, 17, 15, True, "late partition changed"),
    (Status.COMPLETED, 10, 10, 15, 15, False, "up to date"),
]


@pytest.mark.audit("36")
@pytest.mark.parametrize("row", TRUTH_TABLE)
def test_needs_reconcile_follows_its_truth_table(row):
    status, high, done, late, late_done, needed, reason = row
    decision = needs_reconcile(
        status=status, high_seq=high, completed_high_seq=done, late_high_seq=late, completed_late_high_seq=late_done
    )
    assert decision.needed is needed
    assert isinstance(decision.reason, str) and reason in decision.reason


@pytest.mark.audit("36")
def test_the_decision_module_imports_no_django():
    from reconcile import policy

    tree = ast.parse(Path(policy.__file__).read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(name.startswith("django") for name in imported)


@pytest.mark.audit("37")
@pytest.mark.parametrize(
    ("late", "sealed", "force", "allowed"),
    [
        (False, True, False, True),  # a sealed main partition
        (False, False, False, False),  # an open one: not without --force
        (False, False, True, True),  # an open one on demand
        (True, False, False, True),  # a late partition (open) whenever it changed
        (True, True, False, True),
    ],
)
def test_main_partitions_once_sealed_open_ones_on_demand_late_ones_always(late, sealed, force, allowed):
    assert may_reconcile(late=late, sealed=sealed, force=force).needed is allowed


@pytest.mark.audit("38")
def test_the_digest_is_riskcasts_documented_sum64_sha256():
    ids = ["a", "b", "c"]
    expected = sum(int.from_bytes(hashlib.sha256(i.encode()).digest()[:8], "big") for i in ids) % 2**64
    assert ids_digest(ids) == f"{expected:016x}"
    assert ids_digest(reversed(ids)) == ids_digest(ids)
    assert ids_digest([]) == "0000000000000000"
