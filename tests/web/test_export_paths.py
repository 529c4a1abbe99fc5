"""The export's three encodings of a row agree: SQLite's own NDJSON, the Python encoder over
the SQLite fast read, and the portable Core read (what PostgreSQL boxes use)."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import insert

from controller.office.export import TABLES, iter_ndjson, iter_pages, iter_rows
from controller.store import EXPORT_TABLES, ReadingRow, Store
from controller.store import exports as store_exports
from tests.helpers.office.seed import open_store, seed_season
from web.api.export_format import ndjson_chunks


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    s = open_store(tmp_path_factory.mktemp("paths"))
    seed_season(s, days=35, readings_per_day=12)
    s.ack_event(1, "tian")
    yield s
    s.close()


def _parsed(chunks: Iterator[bytes]) -> list[dict[str, object]]:
    # Split on "\n" only: str.splitlines() also breaks at U+0085 and U+2028, which JSON
    # leaves unescaped inside strings.
    body = b"".join(chunks).decode()
    return [json.loads(line) for line in body.split("\n") if line]


@pytest.mark.parametrize("table", TABLES)
def test_sqlite_ndjson_equals_the_python_encoder(store: Store, table: str) -> None:
    fast = iter_ndjson(store, table, page=7)
    assert fast is not None
    assert _parsed(fast) == _parsed(ndjson_chunks(iter_pages(store, table, page=7)))


@pytest.mark.parametrize("table", TABLES)
def test_the_core_read_equals_the_sqlite_read(store: Store, table: str) -> None:
    model = store_exports.table_of(EXPORT_TABLES, table)
    fast = store.export_page(table, 0, 10_000)
    with store._read() as session:
        core = store_exports._core_page(session.connection(), model, 0, 10_000, None, None)
    assert core == fast


def test_bounds_ids_and_limits(store: Store) -> None:
    assert [r["id"] for r in iter_rows(store, "readings", 10, limit=5, page=2)] == list(
        range(11, 16)
    )
    assert [r["id"] for r in iter_rows(store, "readings", 10, page=3, until_id=17)] == list(
        range(11, 18)
    )
    assert [r["id"] for r in iter_rows(store, "runs", ids=[4, 2, 999])] == [2, 4]
    fast = iter_ndjson(store, "readings", 10, limit=5, page=2)
    assert fast is not None
    assert [r["id"] for r in _parsed(fast)] == list(range(11, 16))
    with pytest.raises(store_exports.UnknownExportTable):
        iter_rows(store, "tokens")


@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(
        st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)),
        min_size=1,
        max_size=30,
    ),
    text=st.text(max_size=20),
)
def test_floats_and_text_survive_sqlite_json_exactly(
    store: Store, values: list[float | None], text: str
) -> None:
    after = store.max_ids()["readings"]
    t0 = datetime(2026, 5, 1, 3, 4, 5, 123456, tzinfo=UTC)
    rows = [
        {
            "time": t0 + timedelta(seconds=i),
            "device": text,
            "point": "p",
            "value": v,
            "decoded": -v if v is not None else None,
            "unit": "µS/cm",
            "quality": "ok",
            "detail": text,
        }
        for i, v in enumerate(values)
    ]
    with store._write() as session:
        session.execute(insert(ReadingRow), rows)
    fast = iter_ndjson(store, "readings", after)
    assert fast is not None
    got = _parsed(fast)
    assert got == list(iter_rows(store, "readings", after))
    assert [r["value"] for r in got] == values
    assert [r["device"] for r in got] == [text] * len(values)
    assert got[0]["time"] == t0.isoformat()


def test_infinity_is_exported_as_null(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'q.db'}")
    try:
        row = {
            "time": datetime(2026, 5, 1, tzinfo=UTC),
            "device": "d",
            "point": "p",
            "value": math.inf,
            "decoded": random.random(),
            "quality": "ok",
        }
        with store._write() as session:
            session.execute(insert(ReadingRow), [row])
        fast = iter_ndjson(store, "readings")
        assert fast is not None
        [line] = _parsed(fast)
        assert line["value"] is None and line["decoded"] == row["decoded"]
    finally:
        store.close()
