"""The API scopes: each endpoint needs exactly one of these."""

SCOPES = (
    "signals:write",
    "signals:read",
    "riskcast:ingest",
    "riskcast:read",
    "ops:reconcile",
    "ops:ledger",
    "metrics:read",
)
