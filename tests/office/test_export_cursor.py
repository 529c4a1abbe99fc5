"""At least once, without loss: a reader keeping its last id sees every row while the box
writes and retention purges what the reader acknowledged."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from controller.office.export import iter_rows
from controller.store import ReadingRow, Store


def test_reader_sees_every_row_while_the_box_writes_and_purges(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'q.db'}")
    old = datetime(2026, 1, 1, tzinfo=UTC)  # every row is old enough to purge once acked
    stop = threading.Event()
    written = 0

    def write() -> None:
        nonlocal written
        while not stop.is_set() and written < 20_000:
            rows = [
                {
                    "time": old + timedelta(seconds=written + i),
                    "device": "d",
                    "point": "p",
                    "value": 1.0,
                    "quality": "ok",
                }
                for i in range(100)
            ]
            with store._write() as session:
                session.execute(insert(ReadingRow), rows)
            written += 100
            stop.wait(0.001)

    def purge() -> None:
        while not stop.is_set():
            store.apply_retention(datetime.now(UTC), 0, store.export_acked())
            stop.wait(0.01)

    threads = [threading.Thread(target=write), threading.Thread(target=purge)]
    seen: list[int] = []
    cursor = 0
    try:
        for t in threads:
            t.start()
        while threads[0].is_alive() or cursor < store.max_ids()["readings"]:
            for row in iter_rows(store, "readings", cursor, limit=700, page=300):
                seen.append(row["id"])
            if seen:
                cursor = seen[-1]
                store.ack_export("readings", "office", cursor)
    finally:
        stop.set()
        for t in threads:
            t.join()
    try:
        assert seen == list(range(1, written + 1))  # every row, once, in order
        purged = store.apply_retention(datetime.now(UTC), 0, store.export_acked())
        assert purged.kept_unexported == 0
        assert list(iter_rows(store, "readings")) == []  # all pulled, all purged
    finally:
        store.close()
