"""A zone's flow signature on its page (zh and en): learning, learned, or unavailable."""

from __future__ import annotations

from typing import Any

from controller.learning.flow import FlowStatus
from tests.helpers.pages import PageService, csrf_of


def _flow(page: str) -> str:
    start = page.index('id="zone-flow"')
    return page[start : page.index("</p>", start)]


def test_a_zone_still_learning_says_how_many_runs_it_has(
    as_role: Any, service: PageService
) -> None:
    service.flow_status["z1"] = FlowStatus("z1", 3, 5)
    viewer = as_role("viewer")
    assert "学习中：已有 3 次，需 5 次" in _flow(viewer.get("/zones/z1").text)
    viewer.post("/lang", data={"lang": "en", "next": "/", "csrf": csrf_of(viewer)})
    assert "learning: 3 of 5 runs" in _flow(viewer.get("/zones/z1").text)


def test_a_learned_zone_shows_its_normal_flow(as_role: Any, service: PageService) -> None:
    service.flow_status["z1"] = FlowStatus("z1", 12, 5, 3.14, 0.06, 41.0)
    viewer = as_role("viewer")
    viewer.post("/lang", data={"lang": "en", "next": "/", "csrf": csrf_of(viewer)})
    flow = _flow(viewer.get("/zones/z1").text)
    assert "Flow signature" in flow and "normal 3.1 m³/h ± 0.1" in flow
    assert "line full after 41 s (learned from 12 runs)" in flow


def test_an_unavailable_model_says_why(as_role: Any, service: PageService) -> None:
    service.flow_status["z1"] = FlowStatus("z1", 0, 5, unavailable="cannot load: format 2")
    flow = _flow(as_role("viewer").get("/zones/z1").text)
    assert "学习模型不可用: cannot load: format 2" in flow
