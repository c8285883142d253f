"""GET /api/v1/ledger/stats reports what is on disk."""

import pytest

from omenproject.testing.builders import make_signal


@pytest.mark.audit("61")
@pytest.mark.django_db
def test_storage_stats_count_partitions_segments_records_and_bytes(client_with_scopes, node):
    producer = client_with_scopes("signals:write")
    for _ in range(3):
        producer.post("/api/v1/signals", make_signal(), format="json")
    stats = client_with_scopes("ops:ledger").get("/api/v1/ledger/stats").json()
    assert (stats["partitions"], stats["segments"], stats["records"]) == (1, 1, 3)
    assert stats["bytes"] > 3 * 300
    (row,) = stats["per_partition"]
    assert row["records"] == 3 and row["sealed"] is False
    assert client_with_scopes("signals:read").get("/api/v1/ledger/stats").status_code == 403
