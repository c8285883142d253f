"""Reconcile state on the ``default`` alias: one row per ledger partition, one per run."""

from __future__ import annotations

from django.db import models

from reconcile.policy import Status

STATUS_CHOICES = [(s.value, s.value) for s in Status]


class PartitionState(models.Model):
    """Where reconcile stands with one ledger partition (``YYYY-MM-DD`` or ``YYYY-MM-DD-late``)."""

    partition = models.CharField(max_length=32, unique=True)
    status = models.CharField(max_length=16, choices=STATUS_CHOICES, default=Status.NEVER.value)
    # The ledger as the last run saw it when it started.
    ledger_count = models.BigIntegerField(default=0)
    ledger_high_seq = models.BigIntegerField(null=True, blank=True)
    # What the last *completed* run covered: needs_reconcile compares the ledger with these.
    completed_high_seq = models.BigIntegerField(null=True, blank=True)
    completed_late_high_seq = models.BigIntegerField(null=True, blank=True)
    riskcast_count = models.BigIntegerField(default=0)
    missing = models.BigIntegerField(default=0)
    replayed = models.BigIntegerField(default=0)
    extras = models.BigIntegerField(default=0)
    mismatched = models.BigIntegerField(default=0)
    # Highest seq whose replay RiskCast confirmed in the current (or last) run.
    cursor_seq = models.BigIntegerField(null=True, blank=True)
    last_run_started_at = models.DateTimeField(null=True, blank=True)
    last_run_finished_at = models.DateTimeField(null=True, blank=True)
    last_completed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["partition"]

    def __str__(self) -> str:
        return f"{self.partition} {self.status}"


class ReconcileRun(models.Model):
    """One run over one partition: what it found, replayed and reported."""

    partition = models.CharField(max_length=32, db_index=True)
    status = models.CharField(max_length=16, choices=STATUS_CHOICES, default=Status.RUNNING.value)
    actor = models.CharField(max_length=150)
    forced = models.BooleanField(default=False)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    ledger_count = models.BigIntegerField(default=0)
    ledger_high_seq = models.BigIntegerField(null=True, blank=True)
    riskcast_count = models.BigIntegerField(default=0)
    digest_matched = models.BooleanField(null=True)
    missing = models.BigIntegerField(default=0)
    replayed = models.BigIntegerField(default=0)
    extras = models.BigIntegerField(default=0)
    mismatched = models.BigIntegerField(default=0)
    unknown_ranges = models.IntegerField(default=0)
    error = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.partition} {self.started_at:%Y-%m-%dT%H:%M:%SZ} {self.status}"
