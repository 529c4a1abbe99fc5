"""Each row once without a unique key on PostgreSQL's ``readings``: the site's highest stored
id, locked by every page, and a box whose ids went back refused (both backends)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import text

from controller.office.central import CentralDB
from controller.office.pull import BoxClient, Streamed, pull_all, pull_site
from tests.helpers.notify import wait_for
from tests.helpers.office.boxes import Box, assert_exact, box_rows, central_rows, running_box

SITE = "ganzhou-01"
WAIT_S = 60.0


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Box]:
    """One box over 70 days from 2026-04-20 (three months of readings)."""
    with running_box(tmp_path / "box", SITE, days=70, readings_per_day=30, seed=3) as b:
        yield b


def _plain(url: str) -> str:
    return url.replace("+psycopg", "")


def _cursor(db: CentralDB, table: str) -> int:
    return db.cursors(SITE)[table]


def test_pulled_twice_or_from_a_cursor_put_back_each_row_once(office_url: str, box: Box) -> None:
    with CentralDB(office_url) as db:
        (first,) = pull_all(db, [box.spec], page_rows=700)
        assert first.ok and first.rows["readings"] == len(box_rows(box.store, "readings"))
        (again,) = pull_all(db, [box.spec], page_rows=700)
        assert again.ok and sum(again.rows.values()) == 0
        assert_exact(db, [box])
        with db._write() as conn:  # by hand: every page of readings meets stored rows
            conn.execute(text("UPDATE pull_cursors SET last_id = 0 WHERE table_name = 'readings'"))
        (back,) = pull_all(db, [box.spec], page_rows=700)
        assert back.ok
        assert_exact(db, [box])


def test_a_box_whose_ids_went_back_is_refused_naming_the_site(
    office_url: str, box: Box, tmp_path: Path
) -> None:
    with CentralDB(office_url) as db:
        assert pull_all(db, [box.spec], page_rows=700)[0].ok
        stored = _cursor(db, "readings")
        # The same site from a backup of its first ten days: its ids are behind the cursor.
        with running_box(tmp_path / "restored", SITE, days=10, readings_per_day=30) as restored:
            top = max(r["id"] for r in box_rows(restored.store, "readings"))
            assert 0 < top < stored
            (result,) = pull_all(db, [restored.spec], page_rows=700)
        assert not result.ok
        assert result.error.startswith(f"{SITE}: readings: the box's highest id is {top}, ")
        assert f"below the {stored} the office has stored" in result.error
        assert _cursor(db, "readings") == stored
        assert_exact(db, [box])  # nothing of the restored box stored


class _FromTheStart(BoxClient):
    """A box (or a proxy before it) that ignores ``after``: every page from its first row."""

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return super().get(path, {**params, "after": 0} if params and "after" in params else params)

    @contextmanager
    def stream(self, path: str, params: Mapping[str, Any]) -> Iterator[Streamed]:
        with super().stream(path, {**params, "after": 0}) as got:
            yield got


def test_a_box_that_sends_rows_below_the_cursor_is_refused(office_url: str, box: Box) -> None:
    with CentralDB(office_url) as db:
        assert pull_all(db, [box.spec], page_rows=700)[0].ok
        cursor = _cursor(db, "readings")
        (result,) = pull_all(db, [box.spec], page_rows=700, client=_FromTheStart)
        assert not result.ok
        assert result.error.startswith(f"{SITE}: readings after {cursor}: ids not increasing")
        assert_exact(db, [box])


class _HeldClient(BoxClient):
    """A client whose first page of ``readings`` stops at its end, until ``go``: the pull
    holds the page's transaction open (the COPY written, not committed) meanwhile."""

    def __init__(self, box: Box) -> None:
        super().__init__(box.spec)
        self.holding = threading.Event()
        self.go = threading.Event()
        self._held = False

    @contextmanager
    def stream(self, path: str, params: Mapping[str, Any]) -> Iterator[Streamed]:
        with super().stream(path, params) as got:
            if self._held or not path.endswith("/readings"):
                yield got
                return
            self._held = True
            yield Streamed(got.headers, self._hold(got.chunks))

    def _hold(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        yield from chunks
        self.holding.set()
        assert self.go.wait(WAIT_S), "never let go"


def _waiting_on_a_lock(url: str) -> bool:
    with psycopg.connect(_plain(url)) as conn:
        found = conn.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
    return found is not None and found[0] > 0


def test_the_same_site_pulled_twice_at_once_stores_each_row_once(pg_url: str, box: Box) -> None:
    """The second pull waits for the first's page, then finds the rows after its cursor
    stored and leaves them out."""
    held = _HeldClient(box)
    results: dict[str, Any] = {}

    def pull(name: str, client: BoxClient) -> None:
        try:
            results[name] = pull_site(db, client, page_rows=500)
        except BaseException as exc:  # reported by the assertions below
            results[name] = exc
            held.go.set()

    with CentralDB(pg_url) as db, ExitStack() as stack:
        first = threading.Thread(target=pull, args=("first", held))
        first.start()
        stack.callback(first.join, WAIT_S)
        stack.callback(held.go.set)
        assert held.holding.wait(WAIT_S), "the first pull never reached its first page's end"
        second = threading.Thread(target=pull, args=("second", BoxClient(box.spec)))
        second.start()
        stack.callback(second.join, WAIT_S)
        wait_for(lambda: _waiting_on_a_lock(pg_url), WAIT_S, "the second pull waits")
        held.go.set()
        first.join(WAIT_S)
        second.join(WAIT_S)
        assert [type(results.get(n)).__name__ for n in ("first", "second")] == ["SiteResult"] * 2
        assert results["first"].ok and results["second"].ok
        assert_exact(db, [box])


def test_readings_stored_page_by_page_twice_are_kept_once(office_url: str, box: Box) -> None:
    """``store_page`` (rows parsed in Python): on PostgreSQL also without a unique key."""
    rows = box_rows(box.store, "readings")[:300]
    with CentralDB(office_url) as db:
        assert db.store_page(SITE, "readings", rows[:200], rows[199]["id"]) == 200
        assert db.store_page(SITE, "readings", rows, rows[-1]["id"]) == 300
        assert central_rows(db, SITE, "readings") == rows
