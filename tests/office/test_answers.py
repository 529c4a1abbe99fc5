"""A page of the export that is not the export says what came back, not Python's words
(controller.office.answers): the SQLite pull's NDJSON, the PostgreSQL pull's CSV header."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from controller.office.answers import came_back, start_of
from controller.office.central import CentralDB
from controller.office.pull import BadAnswer, BoxClient, Reply, SiteSpec, pull_site

SITE = SiteSpec("ganzhou-01", "http://10.20.0.11:8080", "t")
ZONES = json.dumps([{"name": "z1", "area_m2": 6666.7}]).encode()


class ExportAnswers(BoxClient):
    """A box whose zones are right and whose readings page is ``body``."""

    def __init__(self, body: bytes, content_type: str) -> None:
        super().__init__(SITE)
        self.page = Reply(200, {"content-type": content_type, "x-last-id": "2"}, body)

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Reply:
        if path == "/api/v1/zones":
            return Reply(200, {"content-type": "application/json"}, ZONES)
        assert path == "/api/v1/export/readings", path
        return self.page


@pytest.fixture
def db(tmp_path: Path) -> Iterator[CentralDB]:
    with CentralDB(f"sqlite:///{tmp_path / 'office.db'}") as central:
        yield central


def refusal(db: CentralDB, body: bytes, content_type: str) -> str:
    with pytest.raises(BadAnswer) as caught:
        pull_site(db, ExportAnswers(body, content_type), tables=("readings",))
    assert db.cursors(SITE.id).get("readings", 0) == 0, "nothing of it stored"
    return str(caught.value)


def test_a_login_page_for_the_export_is_said_as_what_came_back(db: CentralDB) -> None:
    assert refusal(db, b"<html>login</html>", "text/html") == (
        "ganzhou-01: readings after 0: not NDJSON but text/html (18 bytes: "
        "'<html>login</html>'): is the url a qanat box's address, not a proxy's login page "
        "or another service?"
    )


def test_a_broken_line_of_the_export_is_named_by_its_number(db: CentralDB) -> None:
    page = b'{"id": 1, "time": "2026-06-01T00:00:00+00:00"}\n{"id": 2, "ti\n'
    assert refusal(db, page, "application/x-ndjson") == (
        'ganzhou-01: readings after 0: line 2 is not JSON: \'{"id": 2, "ti\''
    )


def test_an_answer_is_said_by_its_type_size_and_start() -> None:
    assert came_back(b"x" * 50, "text/plain; charset=utf-8") == (
        f"text/plain (50 bytes: {'x' * 40!r}…)"
    )
    assert came_back(b"\xff\xfe", "") == "no Content-Type (2 bytes: '\ufffd\ufffd')"
    assert start_of(b"<html>", 80) == "'<html>'"  # not b'<html>'
