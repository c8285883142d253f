"""Reconcile's errors, classified where they are raised (codes in docs/errors.md)."""

from omenproject.errors import OmenError


class ReconcileBusy(OmenError):
    status_code = 409
    default_code = "reconcile_busy"
    default_detail = "Another reconciler holds this partition; try again when it has finished."
    permanent = False


class RiskCastUnreachable(Exception):
    """RiskCast's read API did not answer usefully (transport error, timeout, 5xx): retry later."""

    permanent = False


class RiskCastRefused(Exception):
    """RiskCast's read API refused the call for good (401, 403, 400): a configuration error."""

    permanent = True


class UnknownPartition(ValueError):
    """The ledger has no such partition (a user mistake: the command and the API say so)."""
