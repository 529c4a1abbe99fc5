"""A box's answer that is not what the office asked for says what came back, not Python's
words (controller.office.answers): the zones list (controller.office.zones_answer; every
figure is divided by these areas), the SQLite pull's NDJSON page."""

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
JSON = "application/json"


class Answers(BoxClient):
    """A box whose ``/api/v1/zones`` gives ``zones``, and its readings page what
    :meth:`answer_readings` says."""

    def __init__(self, zones: bytes, zones_type: str = JSON) -> None:
        super().__init__(SITE)
        self.zones = Reply(200, {"content-type": zones_type}, zones)
        self.page = Reply(404, {}, b"")

    def answer_readings(self, page: bytes, content_type: str) -> Answers:
        self.page = Reply(200, {"content-type": content_type, "x-last-id": "2"}, page)
        return self

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Reply:
        if path == "/api/v1/zones":
            return self.zones
        assert path == "/api/v1/export/readings", path
        return self.page


@pytest.fixture
def db(tmp_path: Path) -> Iterator[CentralDB]:
    with CentralDB(f"sqlite:///{tmp_path / 'office.db'}") as central:
        yield central


def refusal(db: CentralDB, body: bytes, content_type: str = JSON) -> str:
    """Why a pull of zones answered ``body`` is refused; nothing of it stored."""
    with pytest.raises(BadAnswer) as caught:
        pull_site(db, Answers(body, content_type), tables=())
    assert not db.zones(), "nothing of a refused answer is stored"
    return str(caught.value)


def page_refusal(db: CentralDB, page: bytes, content_type: str) -> str:
    """Why a pull of a readings page ``page`` is refused; nothing of it stored."""
    with pytest.raises(BadAnswer) as caught:
        pull_site(db, Answers(ZONES).answer_readings(page, content_type), tables=("readings",))
    assert db.cursors(SITE.id).get("readings", 0) == 0, "nothing of it stored"
    return str(caught.value)


def test_a_login_page_is_said_as_what_came_back(db: CentralDB) -> None:
    said = refusal(db, b"<html><title>Login</title>" + b"x" * 100, "text/html; charset=utf-8")
    assert said == (
        "ganzhou-01: GET http://10.20.0.11:8080/api/v1/zones: not the zones list: not JSON "
        "but text/html (126 bytes: '<html><title>Login</title>xxxxxxxxxxxxxx'…): is the url "
        "a qanat box's address, not a proxy's login page or another service?"
    )


@pytest.mark.parametrize(
    ("zones", "problem"),
    [
        ({"detail": "Not Found"}, "a JSON object, not the list of zones"),
        (["z1"], "zones[0]: a JSON string, not a zone"),
        ([{"name": "z1", "area_m2": 5000}, {"label": "东"}], "zones[1].name: None is not"),
        ([{"name": "z1"}], "zones[0].area_m2 (zone z1): None is not an area in m² above 0"),
        ([{"name": "z1", "area_m2": "5000"}], "zones[0].area_m2 (zone z1): '5000' is not"),
        ([{"name": "z1", "area_m2": 0}], "zones[0].area_m2 (zone z1): 0 is not an area"),
        ([{"name": "z1", "area_m2": True}], "zones[0].area_m2 (zone z1): True is not"),
    ],
)
def test_a_json_answer_that_is_not_the_zones_names_its_first_problem(
    db: CentralDB, zones: object, problem: str
) -> None:
    said = refusal(db, json.dumps(zones).encode())
    assert f"not the zones list: {problem}" in said
    assert "indices" not in said and "KeyError" not in said


def test_the_zones_list_is_stored_with_its_areas(db: CentralDB) -> None:
    body = [{"name": "z1", "label": "东块", "area_m2": 16666.75, "crop": "seed_maize"}]
    pull_site(db, Answers(json.dumps(body).encode()), tables=())
    assert [(z.zone, z.label, z.area_m2, z.crop) for z in db.zones()] == [
        ("z1", "东块", 16666.75, "seed_maize")
    ]


def test_a_login_page_for_the_export_is_said_as_what_came_back(db: CentralDB) -> None:
    assert page_refusal(db, b"<html>login</html>", "text/html") == (
        "ganzhou-01: readings after 0: not NDJSON but text/html (18 bytes: "
        "'<html>login</html>'): is the url a qanat box's address, not a proxy's login page "
        "or another service?"
    )


def test_a_broken_line_of_the_export_is_named_by_its_number(db: CentralDB) -> None:
    page = b'{"id": 1, "time": "2026-06-01T00:00:00+00:00"}\n{"id": 2, "ti\n'
    assert page_refusal(db, page, "application/x-ndjson") == (
        'ganzhou-01: readings after 0: line 2 is not JSON: \'{"id": 2, "ti\''
    )


def test_an_answer_is_said_by_its_type_size_and_start() -> None:
    assert came_back(b"x" * 50, "text/plain; charset=utf-8") == (
        f"text/plain (50 bytes: {'x' * 40!r}…)"
    )
    assert came_back(b"\xff\xfe", "") == "no Content-Type (2 bytes: '\ufffd\ufffd')"
    assert start_of(b"<html>", 80) == "'<html>'"  # not b'<html>'
