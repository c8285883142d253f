"""Reconcile's Prometheus metrics (catalogue: docs/metrics.md, "Reconcile")."""

from prometheus_client import Counter, Gauge, Histogram

RUNS_TOTAL = Counter("omen_reconcile_runs_total", "Reconcile runs by outcome.", ["outcome"])
MISSING_TOTAL = Counter("omen_reconcile_missing_total", "Signals found in the ledger but not in RiskCast.")
REPLAYED_TOTAL = Counter("omen_reconcile_replayed_total", "Replays RiskCast confirmed (created or duplicate).")
DISCREPANCIES_TOTAL = Counter(
    "omen_reconcile_discrepancies_total", "RiskCast rows reported, never changed, by kind.", ["kind"]
)
RUN_SECONDS = Histogram(
    "omen_reconcile_run_seconds",
    "Duration of one reconcile run.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0),
)
LAST_COMPLETED = Gauge(
    "omen_reconcile_last_completed_timestamp_seconds",
    "Unix time of the last completed run, per partition.",
    ["partition"],
)
