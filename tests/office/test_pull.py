"""qanat pull: two real boxes into a real central database, exact and idempotent."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection

from controller.office.central import CentralDB
from controller.office.pull import (
    BoxClient,
    Reply,
    SiteSpec,
    SiteUnreachable,
    Streamed,
    pull_all,
)
from controller.store import ReadingRow, RunState
from tests.helpers.office.boxes import Box, assert_exact, central_rows, running_box
from tests.helpers.site import refusing_port


@pytest.fixture
def boxes(tmp_path: Path) -> Iterator[list[Box]]:
    with ExitStack() as stack:
        yield [
            stack.enter_context(running_box(tmp_path / name, name, days=30, seed=n))
            for n, name in enumerate(("ganzhou-01", "ganzhou-02"))
        ]


def test_two_boxes_exact_then_idempotent(office_url: str, boxes: list[Box]) -> None:
    with CentralDB(office_url) as db:
        results = pull_all(db, [b.spec for b in boxes], page_rows=200)
        assert [r.error for r in results] == ["", ""]
        assert results[0].rows["readings"] == 720
        assert_exact(db, boxes)
        again = pull_all(db, [b.spec for b in boxes], page_rows=200)
        assert all(r.ok and sum(r.rows.values()) == 0 for r in again)
        assert_exact(db, boxes)
        assert {z.site_id for z in db.zones()} == {"ganzhou-01", "ganzhou-02"}
        # The box may now purge what the office holds, and only that.
        for box in boxes:
            assert box.store.export_acked() == box.store.max_ids()


class FailingClient(BoxClient):
    """The real client, cut off after ``pages`` export requests (a network failure); a
    streamed page (PostgreSQL) is cut in the middle of its body, after some rows went
    into the COPY."""

    def __init__(self, site: SiteSpec, pages: int) -> None:
        super().__init__(site)
        self.left = pages

    def get(self, path: str, params: Any = None) -> Reply:
        if "/export/" in path:
            if self.left == 0:
                raise SiteUnreachable(self.site.id, "cable cut")
            self.left -= 1
        return super().get(path, params)

    @contextmanager
    def stream(self, path: str, params: Any) -> Iterator[Streamed]:
        with super().stream(path, params) as got:
            if self.left > 0:
                self.left -= 1
                yield got
                return
            yield Streamed(got.headers, self._cut(got.chunks))

    def _cut(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        body = b"".join(chunks)
        yield body[: len(body) // 2]  # half the page's rows, the last one broken
        raise SiteUnreachable(self.site.id, "cable cut")


class CrashingDB(CentralDB):
    """Fails inside the transaction of the ``n``-th page, after its rows went in."""

    def __init__(self, url: str, n: int) -> None:
        super().__init__(url)
        self.left = n

    def _set_cursor(self, conn: Connection, site_id: str, table: str, last_id: int) -> None:
        self.left -= 1
        if self.left == 0:
            raise RuntimeError("power cut between the rows and the cursor")
        super()._set_cursor(conn, site_id, table, last_id)


def test_interrupted_pulls_resume_exactly(office_url: str, boxes: list[Box]) -> None:
    specs = [b.spec for b in boxes]
    with CentralDB(office_url) as db:
        cut = pull_all(db, specs, page_rows=150, client=lambda s: FailingClient(s, pages=3))
        assert all("cable cut" in r.error for r in cut)
        assert 0 < db.cursors("ganzhou-01")["readings"] < 720
        assert boxes[0].store.export_acked() == {}  # nothing acknowledged before the end
    with pytest.raises(RuntimeError, match="power cut"), CrashingDB(office_url, n=2) as crashing:
        pull_all(crashing, specs[:1], page_rows=150, workers=1)
    with CentralDB(office_url) as db:
        results = pull_all(db, specs, page_rows=150)
        assert all(r.ok for r in results)
        assert_exact(db, boxes)


def test_rows_that_change_on_the_box_are_pulled_again(office_url: str, boxes: list[Box]) -> None:
    box = boxes[0]
    run = box.store.plan_run("z1", "manual", 20.0)
    assert run.id is not None
    box.store.start_run(run.id)
    alarm = box.store.open_alarms()[0]
    with CentralDB(office_url) as db:
        pull_all(db, [box.spec])
        assert central_rows(db, box.site_id, "runs")[-1]["state"] == "running"
        box.store.finish_run(run.id, RunState.DONE, "volume reached", 12.5, {"N": 0.4})
        assert alarm.id is not None
        box.store.ack_event(alarm.id, "tian")
        result = pull_all(db, [box.spec])[0]
        assert result.refreshed >= 2
        assert_exact(db, [box])
        assert db.open_ids(box.site_id, "runs") == []


def test_pull_while_the_box_writes_misses_nothing(tmp_path: Path, boxes: list[Box]) -> None:
    box = boxes[0]
    stop = threading.Event()
    t0 = datetime(2026, 6, 1, tzinfo=UTC)

    def write() -> None:
        n = 0
        while not stop.is_set():
            rows = [
                {
                    "time": t0 + timedelta(seconds=n + i),
                    "device": "flow1",
                    "point": "flow_rate",
                    "value": float(i),
                    "unit": "m3/h",
                    "quality": "ok",
                }
                for i in range(50)
            ]
            with box.store._write() as session:
                session.execute(ReadingRow.__table__.insert(), rows)  # type: ignore[attr-defined]
            n += 50
            stop.wait(0.02)  # a busy poller (2,500 rows/s), not a lock hog

    # The writer shares this process's GIL with the box's server: on a loaded machine a
    # request can wait far longer than a box's usual 10 s, which is not what this checks.
    spec = dataclasses.replace(box.spec, timeout_s=120.0)
    writer = threading.Thread(target=write)
    with CentralDB(f"sqlite:///{tmp_path / 'office.db'}") as db:
        writer.start()
        try:
            for _ in range(3):
                result = pull_all(db, [spec], page_rows=97)[0]
                assert result.ok, result.error
        finally:
            stop.set()
            writer.join()
        assert pull_all(db, [spec], page_rows=97)[0].ok
        assert_exact(db, [box])


def test_offline_and_garbage_sites_are_reported_and_skipped(
    tmp_path: Path, boxes: list[Box]
) -> None:
    wrong_token = SiteSpec("wrong-token", boxes[1].url, "not-a-token", timeout_s=10)
    garbage = SiteSpec("garbage", boxes[1].url + "/docs#", boxes[1].token, timeout_s=10)
    with refusing_port() as port, CentralDB(f"sqlite:///{tmp_path / 'office.db'}") as db:
        offline = SiteSpec("offline", f"http://127.0.0.1:{port}", "x", timeout_s=2)
        results = {
            r.site_id: r for r in pull_all(db, [offline, boxes[0].spec, wrong_token, garbage])
        }
        assert results["ganzhou-01"].ok
        assert "Connection refused" in results["offline"].error
        assert "HTTP 401" in results["wrong-token"].error
        assert results["garbage"].error
        assert_exact(db, boxes[:1])
