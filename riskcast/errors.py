"""RiskCast's error codes (rendered by the one handler in ``omenproject.errors``)."""

from __future__ import annotations

from omenproject.errors import OmenError, Overloaded, ValidationFailed

__all__ = ["Duplicate", "HeaderMismatch", "Overloaded", "PayloadMismatch"]


class Duplicate(OmenError):
    """Already stored with the same payload: the sender's work is done (``details.ack_id``)."""

    status_code = 409
    default_code = "duplicate"
    default_detail = "This signal was already ingested; details carry the original acknowledgement."
    permanent = True


class PayloadMismatch(OmenError):
    """The id is already stored with another payload; the stored row is left untouched."""

    status_code = 422
    default_code = "conflict_payload_mismatch"
    default_detail = "This signal_id was already ingested with a different payload."
    permanent = True


class HeaderMismatch(ValidationFailed):
    """``Idempotency-Key``/``X-Payload-Hash``/``X-Replay-Source`` disagree with the body."""

    default_detail = "A request header disagrees with the body."
