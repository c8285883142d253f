"""Hooks through which the pure core reports what it does (metrics live on the Django side)."""

from __future__ import annotations

from ledger.core.errors import LedgerCorruption


class LedgerObserver:
    """No-op base; ``ledger.metrics.PrometheusObserver`` overrides what it exports."""

    def appended(self, records: int) -> None:
        pass

    def group_committed(self, batch_records: int, callers: int) -> None:
        pass

    def fsynced(self, seconds: float) -> None:
        pass

    def torn_tail_truncated(self, partition: str, segment: int, offset: int, length: int) -> None:
        pass

    def corruption_found(self, exc: LedgerCorruption, source: str) -> None:
        pass

    def write_failed(self, exc: BaseException) -> None:
        pass
