"""The export's paging on a small SQLite store: cursors at 0, at the last id and past it;
limits under, at and over a page; ``ids`` and ``until_id`` across pages; the queries a read
costs; the refusals; which rows a reader must re-read; the CSV header
(scripts/mutation.sh controller/office/export.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from controller.office.export import (
    FINAL_RUN_STATES,
    MAX_IDS,
    TABLES,
    csv_columns,
    iter_ndjson,
    iter_pages,
    iter_rows,
    still_open,
)
from controller.store import EXPORT_TABLES, ReadingRow, RunState, Store
from controller.store import exports as store_exports

N_READINGS = 20
T0 = datetime(2026, 5, 1, 6, tzinfo=UTC)


class Spy:
    """The store, recording each export query ``(after_id, limit, ids, until_id)`` and the
    number of rows it returned."""

    def __init__(self, store: Store, ndjson: bool = True) -> None:
        self.store = store
        self.ndjson = ndjson
        self.queries: list[tuple[int, int, list[int] | None, int | None]] = []
        self.returned: list[int] = []

    def _note(
        self, after_id: int, limit: int, ids: Sequence[int] | None, until_id: int | None
    ) -> None:
        self.queries.append((after_id, limit, None if ids is None else list(ids), until_id))

    def export_page(
        self,
        table: str,
        after_id: int,
        limit: int,
        ids: Sequence[int] | None = None,
        until_id: int | None = None,
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        self._note(after_id, limit, ids, until_id)
        names, rows = self.store.export_page(table, after_id, limit, ids, until_id)
        self.returned.append(len(rows))
        return names, rows

    def export_ndjson(
        self,
        table: str,
        after_id: int,
        limit: int,
        ids: Sequence[int] | None = None,
        until_id: int | None = None,
    ) -> tuple[bytes, int, int] | None:
        self._note(after_id, limit, ids, until_id)
        if not self.ndjson:  # what a PostgreSQL box answers
            return None
        out = self.store.export_ndjson(table, after_id, limit, ids, until_id)
        assert out is not None
        self.returned.append(out[1])
        return out


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """Readings 1..20; runs 1..5 (planned, running, done, aborted, interrupted); events 1..3
    (latched and open, latched and acknowledged, not latched); no audit entries."""
    path: Path = tmp_path_factory.mktemp("mutants") / "q.db"
    s = Store(f"sqlite:///{path}")
    rows = [
        {
            "time": T0 + timedelta(seconds=i),
            "device": "d",
            "point": "p",
            "value": float(i),
            "quality": "ok",
        }
        for i in range(N_READINGS)
    ]
    with s._write() as session:
        session.execute(insert(ReadingRow), rows)
    runs = [s.plan_run("z1", "manual", 10.0) for _ in range(5)]
    for run in runs[1:]:
        s.start_run(run.id or 0)
    s.finish_run(runs[2].id or 0, RunState.DONE, "ok", applied_m3=1.5)
    s.finish_run(runs[3].id or 0, RunState.ABORTED, "stop")
    s.finish_run(runs[4].id or 0, RunState.INTERRUPTED, "power")
    s.raise_event("warning", "dry_run", "pump", "dry", latched=True)
    s.raise_event("warning", "dry_run", "pump", "dry again", latched=True)
    s.raise_event("info", "started", "site", "up")
    s.ack_event(2, "tian")
    yield s
    s.close()


def _ids(rows: Iterator[dict[str, Any]]) -> list[int]:
    return [r["id"] for r in rows]


def _ndjson_ids(chunks: Iterator[bytes] | None) -> list[int]:
    assert chunks is not None
    body = b"".join(chunks).decode()
    return [json.loads(line)["id"] for line in body.split("\n") if line]


# --- cursors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("after_id", "expected"),
    [(0, list(range(1, 21))), (19, [20]), (20, []), (25, [])],
)
def test_cursor_at_zero_at_the_last_id_and_past_it(
    store: Store, after_id: int, expected: list[int]
) -> None:
    assert _ids(iter_rows(store, "readings", after_id, page=3)) == expected
    assert _ndjson_ids(iter_ndjson(store, "readings", after_id, page=3)) == expected
    pages = list(iter_pages(store, "readings", after_id, page=3))
    assert [r["id"] for p in pages for r in p] == expected
    assert all(0 < len(p) <= 3 for p in pages)  # never an empty page


def test_the_defaults_read_everything_from_the_start_in_one_page(store: Store) -> None:
    spy = Spy(store)
    assert _ids(iter_rows(spy, "readings")) == list(range(1, 21))  # type: ignore[arg-type]
    assert spy.queries == [(0, 5000, None, None)]
    spy = Spy(store)
    assert _ndjson_ids(iter_ndjson(spy, "readings")) == list(range(1, 21))  # type: ignore[arg-type]
    assert spy.queries == [(0, 5000, None, None)]
    spy = Spy(store)
    assert len(list(iter_pages(spy, "readings"))) == 1  # type: ignore[arg-type]
    assert spy.queries == [(0, 5000, None, None)]


# --- pages and limits ---------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["rows", "ndjson"])
@pytest.mark.parametrize(
    ("limit", "page", "queries"),
    [
        # under a page, at a page, over a page, a whole number of pages, one past it
        (2, 3, [(0, 2)]),
        (3, 3, [(0, 3)]),
        (4, 3, [(0, 3), (3, 1)]),
        (6, 3, [(0, 3), (3, 3)]),
        (7, 3, [(0, 3), (3, 3), (6, 1)]),
        (1, 1, [(0, 1)]),
        (2, 1, [(0, 1), (1, 1)]),
    ],
)
def test_a_limit_is_met_exactly_and_reads_no_page_past_it(
    store: Store, encoding: str, limit: int, page: int, queries: list[tuple[int, int]]
) -> None:
    spy = Spy(store)
    if encoding == "rows":
        got = _ids(iter_rows(spy, "readings", limit=limit, page=page))  # type: ignore[arg-type]
    else:
        got = _ndjson_ids(iter_ndjson(spy, "readings", limit=limit, page=page))  # type: ignore[arg-type]
    assert got == list(range(1, limit + 1))
    assert [(q[0], q[1]) for q in spy.queries] == queries


@pytest.mark.parametrize("encoding", ["rows", "ndjson"])
def test_a_limit_of_zero_reads_no_row(store: Store, encoding: str) -> None:
    spy = Spy(store)
    if encoding == "rows":
        assert _ids(iter_rows(spy, "readings", limit=0, page=3)) == []  # type: ignore[arg-type]
    else:
        assert _ndjson_ids(iter_ndjson(spy, "readings", limit=0, page=3)) == []  # type: ignore[arg-type]
    assert [(q[0], q[1]) for q in spy.queries] == [(0, 0)]


@pytest.mark.parametrize("encoding", ["rows", "ndjson"])
def test_a_limit_over_the_rows_left_stops_at_the_short_page(store: Store, encoding: str) -> None:
    spy = Spy(store)
    if encoding == "rows":
        got = _ids(iter_rows(spy, "readings", 14, limit=100, page=4))  # type: ignore[arg-type]
    else:
        got = _ndjson_ids(iter_ndjson(spy, "readings", 14, limit=100, page=4))  # type: ignore[arg-type]
    assert got == list(range(15, 21))
    # 4 then 2 (short: the end), and no query for the empty page after it
    assert [(q[0], q[1]) for q in spy.queries] == [(14, 4), (18, 4)]
    assert spy.returned == [4, 2]


@pytest.mark.parametrize("encoding", ["rows", "ndjson"])
def test_without_a_limit_pages_run_to_the_end(store: Store, encoding: str) -> None:
    spy = Spy(store)
    if encoding == "rows":
        got = _ids(iter_rows(spy, "readings", 3, page=4))  # type: ignore[arg-type]
    else:
        got = _ndjson_ids(iter_ndjson(spy, "readings", 3, page=4))  # type: ignore[arg-type]
    assert got == list(range(4, 21))
    assert [(q[0], q[1]) for q in spy.queries] == [(3, 4), (7, 4), (11, 4), (15, 4), (19, 4)]
    assert spy.returned == [4, 4, 4, 4, 1]


def test_pages_hold_page_rows_each(store: Store) -> None:
    pages = list(iter_pages(store, "readings", 5, limit=8, page=3))
    assert [[r["id"] for r in p] for p in pages] == [[6, 7, 8], [9, 10, 11], [12, 13]]
    assert list(iter_pages(store, "readings", 20, page=3)) == []


def test_a_page_of_one_row(store: Store) -> None:
    assert _ids(iter_rows(store, "readings", 17, page=1)) == [18, 19, 20]
    assert _ndjson_ids(iter_ndjson(store, "readings", 17, page=1)) == [18, 19, 20]


# --- ids and until_id across pages --------------------------------------------------------


@pytest.mark.parametrize("encoding", ["rows", "ndjson"])
def test_ids_hold_on_every_page(store: Store, encoding: str) -> None:
    wanted = [2, 5, 9, 12, 17, 40]
    spy = Spy(store)
    if encoding == "rows":
        got = _ids(iter_rows(spy, "readings", ids=wanted, page=2))  # type: ignore[arg-type]
    else:
        got = _ndjson_ids(iter_ndjson(spy, "readings", ids=wanted, page=2))  # type: ignore[arg-type]
    assert got == [2, 5, 9, 12, 17]
    assert all(q[2] == wanted for q in spy.queries)


@pytest.mark.parametrize("encoding", ["rows", "ndjson"])
def test_until_id_holds_on_every_page(store: Store, encoding: str) -> None:
    spy = Spy(store)
    if encoding == "rows":
        got = _ids(iter_rows(spy, "readings", 2, page=2, until_id=8))  # type: ignore[arg-type]
    else:
        got = _ndjson_ids(iter_ndjson(spy, "readings", 2, page=2, until_id=8))  # type: ignore[arg-type]
    assert got == [3, 4, 5, 6, 7, 8]
    assert all(q[3] == 8 for q in spy.queries)


def test_ids_and_until_id_reach_iter_pages(store: Store) -> None:
    pages = list(iter_pages(store, "readings", 0, page=2, ids=[1, 3, 4, 6, 7], until_id=6))
    assert [[r["id"] for r in p] for p in pages] == [[1, 3], [4, 6]]


def test_ids_after_the_cursor_only(store: Store) -> None:
    assert _ids(iter_rows(store, "readings", 4, ids=[1, 4, 5, 20])) == [5, 20]
    assert _ndjson_ids(iter_ndjson(store, "readings", 4, ids=[1, 4, 5, 20])) == [5, 20]


# --- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize("call", [iter_rows, iter_pages, iter_ndjson])
def test_page_below_one_is_refused(store: Store, call: Any) -> None:
    with pytest.raises(ValueError, match=r"^page must be >= 1, got 0$"):
        call(store, "readings", page=0)
    with pytest.raises(ValueError, match=r"^page must be >= 1, got -3$"):
        call(store, "readings", page=-3)


@pytest.mark.parametrize("call", [iter_rows, iter_pages, iter_ndjson])
def test_at_most_max_ids_ids(store: Store, call: Any) -> None:
    assert MAX_IDS == 1000
    at_max = list(range(1, MAX_IDS + 1))
    got = call(store, "readings", ids=at_max, page=7)
    assert got is not None
    with pytest.raises(ValueError, match=r"^at most 1000 ids per request, got 1001$"):
        call(store, "readings", ids=[*at_max, MAX_IDS + 1])


def test_max_ids_ids_are_all_read(store: Store) -> None:
    assert _ids(iter_rows(store, "readings", ids=list(range(1, MAX_IDS + 1)))) == list(range(1, 21))


@pytest.mark.parametrize("call", [iter_rows, iter_pages, iter_ndjson])
def test_an_unknown_table_fails_before_the_first_row(store: Store, call: Any) -> None:
    with pytest.raises(store_exports.UnknownExportTable):
        call(store, "tokens")


def test_without_sqlite_json_ndjson_is_none_and_reads_once(store: Store) -> None:
    spy = Spy(store, ndjson=False)
    assert iter_ndjson(spy, "readings", 3, limit=4, page=2, ids=[4, 5], until_id=9) is None  # type: ignore[arg-type]
    assert spy.queries == [(3, 2, [4, 5], 9)]


def test_the_first_page_is_read_before_iterating(store: Store) -> None:
    spy = Spy(store)
    iter_pages(spy, "readings", 7, limit=5, page=2, ids=[8, 9, 10], until_id=12)  # type: ignore[arg-type]
    assert spy.queries == [(7, 2, [8, 9, 10], 12)]
    spy = Spy(store)
    iter_ndjson(spy, "readings", 7, limit=5, page=2, ids=[8, 9, 10], until_id=12)  # type: ignore[arg-type]
    assert spy.queries == [(7, 2, [8, 9, 10], 12)]


# --- what is re-read ----------------------------------------------------------------------


def test_final_run_states_are_the_store_s() -> None:
    assert {"done", "aborted", "interrupted"} == FINAL_RUN_STATES
    assert {RunState.DONE, RunState.ABORTED, RunState.INTERRUPTED} == FINAL_RUN_STATES


def test_runs_stay_open_until_final(store: Store) -> None:
    states = {r["id"]: (r["state"], still_open("runs", r)) for r in iter_rows(store, "runs")}
    assert states == {
        1: ("planned", True),
        2: ("running", True),
        3: ("done", False),
        4: ("aborted", False),
        5: ("interrupted", False),
    }
    assert still_open("runs", {}) is True  # a row without a state is not known to be final


def test_latched_events_stay_open_until_acknowledged(store: Store) -> None:
    got = {r["id"]: still_open("events", r) for r in iter_rows(store, "events")}
    assert got == {1: True, 2: False, 3: False}
    assert still_open("events", {"latched": True, "acked_at": None}) is True
    assert still_open("events", {"latched": True}) is True
    assert still_open("events", {"latched": 1, "acked_at": None}) is True
    assert still_open("events", {"latched": False, "acked_at": None}) is False
    assert still_open("events", {"latched": 0}) is False
    assert still_open("events", {"acked_at": None}) is False
    assert still_open("events", {"latched": True, "acked_at": "2026-05-01T06:00:00+00:00"}) is False
    assert still_open("events", {"latched": False, "acked_at": "2026-05-01"}) is False


@pytest.mark.parametrize("table", ["readings", "water_balance", "decisions", "audit"])
def test_other_tables_are_append_only(table: str) -> None:
    # Even a row that looks like an open run or an open latched event.
    assert still_open(table, {"state": "running", "latched": True, "acked_at": None}) is False
    assert still_open(table, {}) is False


def test_a_run_row_is_judged_by_its_state_only() -> None:
    assert still_open("runs", {"state": "done", "latched": True, "acked_at": None}) is False
    assert still_open("events", {"state": "running", "latched": False}) is False


# --- the CSV header -----------------------------------------------------------------------


@pytest.mark.parametrize("table", TABLES)
def test_csv_columns_are_the_row_keys_in_order(store: Store, table: str) -> None:
    spy = Spy(store)
    names = csv_columns(spy, table)  # type: ignore[arg-type]
    assert names[0] == "id"
    assert len(set(names)) == len(names)
    model = EXPORT_TABLES[table]
    assert set(names) == set(model.model_fields)  # every column, nothing else
    for row in iter_rows(store, table, limit=2):
        assert list(row) == names
    assert spy.returned == [0]  # the header reads no row


def test_csv_columns_of_an_empty_table(store: Store) -> None:
    assert list(iter_rows(store, "audit")) == []
    names = csv_columns(store, "audit")
    assert names[0] == "id" and len(names) > 1


def test_csv_columns_of_an_unknown_table(store: Store) -> None:
    with pytest.raises(store_exports.UnknownExportTable):
        csv_columns(store, "tokens")


def test_tables_are_the_store_s_export_tables() -> None:
    assert TABLES == (
        "readings",
        "water_balance",
        "decisions",
        "runs",
        "events",
        "audit",
        "crop_observations",
    )


class _ShortRowStore:
    """A store whose page holds a row with one value fewer than its header."""

    def export_page(self, *_: Any) -> tuple[list[str], list[tuple[Any, ...]]]:
        return ["id", "time", "value"], [(1, "2026-05-01T06:00:00+00:00")]


def test_a_row_that_does_not_fit_its_header_fails_rather_than_losing_a_column() -> None:
    pages = iter_pages(_ShortRowStore(), "readings")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="zip"):
        next(pages)
