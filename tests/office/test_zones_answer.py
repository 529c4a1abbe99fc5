"""A box's zones answer that is not the zones list is refused in words saying what came back
(the office divides every figure by these areas)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from controller.office.central import CentralDB
from controller.office.pull import BadAnswer, BoxClient, Reply, SiteSpec, pull_site

SITE = SiteSpec("ganzhou-01", "http://10.20.0.11:8080", "t")


class ZonesOnly(BoxClient):
    """A box whose ``/api/v1/zones`` gives ``body`` (the pull stops there or goes on to
    the export, which it is not asked for here)."""

    def __init__(self, body: bytes, content_type: str = "application/json") -> None:
        super().__init__(SITE)
        self.reply = Reply(200, {"content-type": content_type}, body)

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Reply:
        assert path == "/api/v1/zones", path
        return self.reply


@pytest.fixture
def db(tmp_path: Path) -> Iterator[CentralDB]:
    with CentralDB(f"sqlite:///{tmp_path / 'office.db'}") as central:
        yield central


def refusal(db: CentralDB, body: bytes, content_type: str = "application/json") -> str:
    with pytest.raises(BadAnswer) as caught:
        pull_site(db, ZonesOnly(body, content_type), tables=())
    assert not db.zones(), "nothing of a refused answer is stored"
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
    pull_site(db, ZonesOnly(json.dumps(body).encode()), tables=())
    assert [(z.zone, z.label, z.area_m2, z.crop) for z in db.zones()] == [
        ("z1", "东块", 16666.75, "seed_maize")
    ]
