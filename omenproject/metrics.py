"""The home of the project's own Prometheus metrics (catalogue: docs/metrics.md)."""

from prometheus_client import Counter

ERRORS_TOTAL = Counter("omen_errors_total", "API errors by taxonomy code.", ["code"])
