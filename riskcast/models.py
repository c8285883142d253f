"""The exactly-once store: one row per processed ``signal_id``, on the ``riskcast`` database."""

from __future__ import annotations

from django.db import models


class Source(models.TextChoices):
    HOT_PATH = "hot_path", "hot path"
    RECONCILE = "reconcile", "reconcile"


class ProcessedSignal(models.Model):
    """A signal RiskCast has accepted. Never updated: a later delivery only reads it.

    ``id_hash_hi``/``id_hash_lo`` are the two 32-bit halves of the id's digest term (see
    ``riskcast.digest``) so that a partition's digest is two indexed SUMs, not a table scan.
    """

    signal_id = models.CharField(max_length=128)
    payload_hash = models.CharField(max_length=128)
    event = models.JSONField()
    partition = models.CharField(max_length=32)
    ack_id = models.CharField(max_length=40)  # 128 random bits: unique without an index
    first_seen_at = models.DateTimeField()
    source = models.CharField(max_length=16, choices=Source.choices)
    trace_id = models.CharField(max_length=64, blank=True)
    id_hash_hi = models.BigIntegerField()
    id_hash_lo = models.BigIntegerField()

    class Meta:
        db_table = "riskcast_processed_signal"
        constraints = [
            # Exactly-once is this constraint: the database decides under concurrency.
            models.UniqueConstraint(fields=["signal_id"], name="riskcast_signal_id_unique"),
        ]
        indexes = [
            # Ordered, keyset-paged reads of one partition's ids.
            models.Index(fields=["partition", "signal_id"], name="riskcast_partition_signal"),
            # Covers the summary: COUNT and the two SUMs read the index only.
            models.Index(fields=["partition", "id_hash_hi", "id_hash_lo"], name="riskcast_partition_digest"),
        ]
        verbose_name = "processed signal"

    def __str__(self) -> str:
        return self.signal_id
