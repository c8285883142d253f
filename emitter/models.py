"""Delivery state: derived from the ledger (the source of truth), rebuilt from it when lost."""

from django.db import models
from django.utils import timezone


class DeliveryStatus(models.TextChoices):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    DUPLICATE = "DUPLICATE"
    REJECTED = "REJECTED"
    LEDGER_ONLY = "LEDGER_ONLY"


DELIVERED_STATUSES = (DeliveryStatus.DELIVERED, DeliveryStatus.DUPLICATE)
UNDELIVERED_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.LEDGER_ONLY)


class Delivery(models.Model):
    """One signal's ledger position and its delivery to RiskCast."""

    signal_id = models.CharField(max_length=80, unique=True)
    partition = models.CharField(max_length=20, db_index=True)
    seq = models.BigIntegerField(unique=True)
    input_event_hash = models.CharField(max_length=64)
    payload_hash = models.CharField(max_length=64)
    trace_id = models.CharField(max_length=32, blank=True)
    emitted_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    ack_id = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["status", "seq"], name="delivery_status_seq")]
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"{self.signal_id} {self.status}"
