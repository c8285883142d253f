"""RiskCast's Prometheus metrics (catalogue: docs/riskcast.md)."""

from prometheus_client import Counter, Histogram

INGEST_TOTAL = Counter(
    "omen_riskcast_ingest_total",
    "Ingested events by outcome (created, duplicate, conflict_payload_mismatch, invalid, overloaded).",
    ["outcome"],
)
INGEST_SECONDS = Histogram(
    "omen_riskcast_ingest_seconds",
    "Time spent in the ingest service per request, by kind (single or batch).",
    ["kind"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
CONFLICTS_TOTAL = Counter(
    "omen_riskcast_conflicts_total",
    "Deliveries whose signal_id was already stored with a different payload hash.",
    ["source"],
)
BATCH_SIZE = Histogram(
    "omen_riskcast_batch_size",
    "Events per batch request.",
    buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000),
)
