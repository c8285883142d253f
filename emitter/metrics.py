"""The emitter's Prometheus metrics (catalogue: docs/metrics.md, "Emitter")."""

from prometheus_client import Counter, Gauge, Histogram

EMIT_TOTAL = Counter("omen_emit_total", "Hot-path and replay deliveries to RiskCast by outcome.", ["status"])
EMIT_DELIVERY_SECONDS = Histogram(
    "omen_emit_delivery_seconds",
    "Time one delivery took, all attempts and waits included.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
EMIT_RETRIES_TOTAL = Counter("omen_emit_retries_total", "Attempts after the first one, across all deliveries.")
BREAKER_STATE = Gauge("omen_breaker_state", "RiskCast circuit breaker: 0 closed, 1 half-open, 2 open.")
BREAKER_TRANSITIONS_TOTAL = Counter(
    "omen_breaker_transitions_total", "RiskCast circuit breaker state changes.", ["from", "to"]
)
BULKHEAD_IN_FLIGHT = Gauge("omen_bulkhead_in_flight", "Deliveries to RiskCast in flight right now.")
BULKHEAD_REJECTIONS_TOTAL = Counter(
    "omen_bulkhead_rejections_total", "Deliveries turned away because every bulkhead slot was taken."
)
DRAIN_BACKLOG = Gauge("omen_drain_backlog", "Signals in the ledger not yet delivered (PENDING or LEDGER_ONLY).")
