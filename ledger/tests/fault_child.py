"""A child process that appends to a ledger and reports every acknowledgement on stdout.

    python -m ledger.tests.fault_child DIR loop SEED      # append until killed
    python -m ledger.tests.fault_child DIR count N TAG    # append N records one by one, then exit

Each acknowledged record is one line ``seq partition signal_id``, flushed before the next
append starts: whatever the parent has read was fsync'd.
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime, timedelta

from ledger.core import Ledger, LedgerRecord

DAY = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)


def main() -> None:
    directory, mode = sys.argv[1], sys.argv[2]
    ledger = Ledger.open(directory, segment_max_records=40, segment_max_bytes=64 * 1024, max_record_bytes=8192)
    out = sys.stdout
    out.write("ready\n")
    out.flush()
    if mode == "loop":
        rng = random.Random(int(sys.argv[3]))
        n = 0
        while True:
            batch = [
                LedgerRecord(
                    f"{sys.argv[3]}-{n + i}",
                    DAY + timedelta(days=rng.randrange(2)),
                    rng.randbytes(rng.randrange(1, 3000)),
                )
                for i in range(rng.randrange(1, 6))
            ]
            n += len(batch)
            for p in ledger.append(batch):
                out.write(f"{p.seq} {p.partition} {batch[0].signal_id}\n")
            out.flush()
    else:
        count, tag = int(sys.argv[3]), sys.argv[4]
        for i in range(count):
            [p] = ledger.append([LedgerRecord(f"{tag}-{i}", DAY, b"x" * 100)])
            out.write(f"{p.seq} {p.partition} {tag}-{i}\n")
        out.flush()
        ledger.close()


if __name__ == "__main__":
    main()
