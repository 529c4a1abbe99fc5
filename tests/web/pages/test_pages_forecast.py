"""The learned moisture forecast on the zone page: FAO-56 and learned depletion at 24-72 h,
which one the planner used, and the validation MAEs (zh and en); nothing when not in use."""

from __future__ import annotations

import datetime as dt
from typing import Any

from controller.daemon.protocol import DecisionInfo
from tests.helpers.pages import PageService, csrf_of

FORECAST = {
    "used": "learned",
    "reason": "learned 24 h forecast validated better (4.2 mm MAE vs physics 15.8 mm)",
    "horizons_h": [24, 48, 72],
    "physics_mm": [41.0, 46.5, 52.0],
    "learned_mm": [57.25, 63.0, 68.5],
    "chosen_mm": [57.25, 63.0, 68.5],
    "validation": [
        {
            "horizon_h": 24.0,
            "learned_mae_mm": 4.2,
            "physics_mae_mm": 15.8,
            "n_train": 60.0,
            "n_validation": 25.0,
        },
    ],
    "trained_at": "2026-07-01T01:20:00+08:00",
}


def _decided(service: PageService, inputs: dict[str, Any]) -> None:
    decision = DecisionInfo(
        1, dt.datetime(2026, 7, 1, 10, tzinfo=dt.UTC), "z1", "et", "skip", None, 0.0, 0.0,
        "z1: no irrigation", inputs,
    )  # fmt: skip
    service.decisions = lambda zone=None, limit=50: [decision]  # type: ignore[method-assign]


def test_zone_page_shows_both_forecasts_and_the_one_used(
    as_role: Any, service: PageService
) -> None:
    _decided(service, {"moisture_forecast": FORECAST})
    viewer = as_role("viewer")
    page = viewer.get("/zones/z1").text
    part = page[page.index('id="zone-forecast"') :]
    assert "土壤水分预测" in part and "计划采用了学习模型的预测" in part
    assert "41.0 mm" in part and "57.2 mm" in part and "68.5 mm" in part
    assert "验证平均绝对误差 24 小时: 学习模型 4.2 mm, FAO-56 15.8 mm (25 天)" in part
    viewer.post("/lang", data={"lang": "en", "next": "/", "csrf": csrf_of(viewer)})
    page = viewer.get("/zones/z1").text
    assert "the planner used the learned forecast" in page
    assert "validation MAE 24 h: learned 4.2 mm, FAO-56 15.8 mm (25 days)" in page


def test_physics_used_is_said_and_nothing_shows_without_the_forecast(
    as_role: Any, service: PageService
) -> None:
    viewer = as_role("viewer")
    _decided(service, {})
    assert 'id="zone-forecast"' not in viewer.get("/zones/z1").text
    physics = FORECAST | {"used": "physics", "learned_mm": None, "reason": "no learned model yet"}
    _decided(service, {"moisture_forecast": physics})
    page = viewer.get("/zones/z1").text
    assert "计划采用了 FAO-56" in page and "no learned model yet" in page
