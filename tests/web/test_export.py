"""The export API over a real store: cursor paging, formats, gzip, re-reads by id, acks."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi import FastAPI

from controller.store import Store
from tests.helpers.browser import serving
from tests.helpers.office.seed import open_store, seed_season
from tests.helpers.office.servers import Reply, call

API = "/api/v1/export"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(tmp_path / "box")
    seed_season(s, days=40, readings_per_day=24)
    yield s
    s.close()


class Box:
    """The app served by uvicorn on a free port (streamed bodies need a real server)."""

    def __init__(self, base: str) -> None:
        self.base = base

    def get(self, path: str, token: str | None = None, **kw: Any) -> Reply:
        return call(self.base, path, token=token, **kw)

    def post(self, path: str, body: Any, token: str | None = None) -> Reply:
        return call(self.base, path, token=token, body=body)


@pytest.fixture
def box(app: FastAPI) -> Iterator[Box]:
    with serving(app) as base:
        yield Box(base)


def _next(headers: dict[str, str]) -> dict[str, list[str]] | None:
    link = headers.get("link")
    if link is None:
        return None
    match = re.fullmatch(r'<([^>]+)>; rel="next"', link)
    assert match, link
    return parse_qs(urlparse(match.group(1)).query)


def _rows(box: Box, table: str, token: str, **params: str) -> list[dict[str, Any]]:
    r = box.get(f"{API}/{table}", token=token, params=params)
    assert r.status == 200, r.body
    return r.lines()


def test_follow_next_links_to_every_row_once(
    box: Box, tokens: dict[str, str], store: Store
) -> None:
    seen: list[int] = []
    params = {"after": "0", "limit": "250"}
    pages = 0
    while True:
        r = box.get(f"{API}/readings", params=params, token=tokens["viewer"])
        assert r.status == 200
        assert r.headers["content-type"] == "application/x-ndjson"
        seen += [int(row["id"]) for row in r.lines()]
        pages += 1
        assert r.headers["x-last-id"] == str(seen[-1] if seen else 0)
        nxt = _next(r.headers)
        if nxt is None:
            break
        params = {"after": nxt["after"][0], "limit": nxt["limit"][0]}
    total = store.max_ids()["readings"]
    assert seen == list(range(1, total + 1))
    assert pages == total // 250 + 1  # 960 rows: three full pages, then one short


def test_rows_carry_iso_utc_times_and_typed_values(
    box: Box, tokens: dict[str, str], store: Store
) -> None:
    viewer = tokens["viewer"]
    runs = _rows(box, "runs", viewer)
    first = store.get_run(1)
    assert first.started_at is not None
    assert runs[0]["started_at"] == first.started_at.isoformat()
    assert runs[0]["fertilizer"] == first.fertilizer
    assert runs[0]["state"] == "done"
    events = _rows(box, "events", viewer)
    assert events[0]["latched"] is True and events[0]["acked_at"] is None
    assert _rows(box, "water_balance", viewer, limit="1")[0]["date"] == "2026-04-20"
    assert _rows(box, "decisions", viewer)[0]["inputs"] == {"raw_mm": 60.0}


def test_csv_has_a_header_and_json_cells(box: Box, tokens: dict[str, str]) -> None:
    r = box.get(f"{API}/runs", params={"format": "csv"}, token=tokens["viewer"])
    assert r.status == 200
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.body.decode())))
    ndjson = _rows(box, "runs", tokens["viewer"])
    assert len(rows) == len(ndjson)
    assert rows[0]["id"] == "1"
    assert json.loads(rows[0]["fertilizer"]) == ndjson[0]["fertilizer"]
    assert rows[0]["ended_at"] == ndjson[0]["ended_at"]


def test_gzip_when_asked(box: Box, tokens: dict[str, str]) -> None:
    plain = box.get(f"{API}/readings", token=tokens["viewer"])
    packed = box.get(f"{API}/readings", token=tokens["viewer"], headers={"Accept-Encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert gzip.decompress(packed.body) == plain.body
    assert len(packed.body) < len(plain.body) / 3


def test_ids_reread_rows_that_changed(box: Box, tokens: dict[str, str], store: Store) -> None:
    open_ids = [e.id for e in store.open_alarms() if e.id is not None]
    assert len(open_ids) >= 2
    store.ack_event(open_ids[0], "tian")
    ids = ",".join(str(i) for i in open_ids)
    r = box.get(f"{API}/events", params={"ids": ids}, token=tokens["viewer"])
    rows = r.lines()
    assert [row["id"] for row in rows] == open_ids
    assert rows[0]["acked_by"] == "tian" and rows[1]["acked_at"] is None
    assert "link" not in r.headers


def test_ack_moves_the_retention_cursor(box: Box, tokens: dict[str, str], store: Store) -> None:
    assert store.export_acked() == {}
    r = box.post(f"{API}/readings/ack", {"last_id": 500}, token=tokens["viewer"])
    assert r.status == 200
    assert r.json() == {"table": "readings", "reader": "wei", "acked_id": 500}
    assert store.export_acked() == {"readings": 500}
    # A second reader cannot start below the cursor already held (it would hold the
    # cleanup back); caught up, it holds retention at its own cursor.
    late = box.post(f"{API}/readings/ack", {"last_id": 100}, token=tokens["technician"])
    assert late.status == 409
    assert store.export_acked() == {"readings": 500}
    box.post(f"{API}/readings/ack", {"last_id": 600}, token=tokens["technician"])
    box.post(f"{API}/readings/ack", {"last_id": 700}, token=tokens["viewer"])
    assert store.export_acked() == {"readings": 600}
    report = store.apply_retention(store.clock.now(), 0, store.export_acked())
    assert report.deleted == 600
    assert report.kept_unexported == store.max_ids()["readings"] - 600


def test_ack_beyond_the_end_is_refused(box: Box, tokens: dict[str, str]) -> None:
    r = box.post(f"{API}/audit/ack", {"last_id": 99}, token=tokens["viewer"])
    assert r.status == 409
    assert "highest id is 1" in r.json()["detail"]


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/readings", {"ids": "1,x"}, 422),
        ("/readings", {"limit": "0"}, 422),
        ("/readings", {"format": "xml"}, 422),
        ("/tokens", {}, 422),  # not an export table: secrets stay on the box
    ],
)
def test_refusals(
    box: Box, tokens: dict[str, str], path: str, params: dict[str, str], status: int
) -> None:
    assert box.get(API + path, token=tokens["viewer"], params=params).status == status


def test_a_token_is_required(box: Box, tokens: dict[str, str]) -> None:
    assert box.get(f"{API}/readings").status == 401
    assert box.post(f"{API}/readings/ack", {"last_id": 1}).status == 401
    assert box.post(f"{API}/readings/ack", {"last_id": -1}, tokens["viewer"]).status == 422
