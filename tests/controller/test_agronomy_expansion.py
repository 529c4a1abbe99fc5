"""The trigger held at the floor while monitoring says the canopy expands."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from controller.agronomy.cropstate import CropState
from controller.agronomy.expansion import expanding_canopy, expansion_note
from controller.agronomy.targets import zone_targets
from controller.config.site import SiteConfig, load_site
from controller.store import Decision
from models.crops import crop
from models.planner.targets import TRIGGER_GAP
from tests.helpers.coverplan import PLAN_DAY, photo, zone_plan
from tests.helpers.site import DEMO_SITE
from tests.helpers.station import local

DAY = dt.date(2026, 6, 1)


@pytest.fixture(scope="module")
def site() -> SiteConfig:
    return load_site(DEMO_SITE)


def _crop(stage: str, source: str = "calendar") -> CropState:
    observed = source == "observation"
    return CropState(
        zone="z1",
        date=DAY,
        days_after_planting=42,
        crop_day=35.0,
        stage=stage,
        day_in_stage=5.0,
        gdd_degc_day=250.0,
        source=source,
        anchor="jointing" if observed else None,
        anchor_date=DAY if observed else None,
    )


def test_an_observed_stage_in_development_is_an_expanding_canopy() -> None:
    why = expanding_canopy(_crop("development", "observation"), None)
    assert why == "canopy expanding (jointing observed on 2026-06-01, FAO-56 development)"
    assert expanding_canopy(_crop("initial", "observation"), None) is None
    assert expanding_canopy(_crop("mid", "observation"), None) is None
    # the calendar or degree days alone do not say so
    assert expanding_canopy(_crop("development"), None) is None
    assert expanding_canopy(_crop("development", "gdd"), None) is None


def test_a_cover_between_ten_and_eighty_percent_is_an_expanding_canopy() -> None:
    assert expanding_canopy(_crop("development"), 0.45) == (
        "canopy expanding (camera cover 0.45, 10% to 80%)"
    )
    assert expanding_canopy(_crop("mid"), 0.10) is not None  # a late crop's cover, mid-calendar
    assert expanding_canopy(_crop("development"), 0.099) is None  # not yet 10 %
    assert expanding_canopy(_crop("development"), 0.80) is None  # effective full cover
    assert expanding_canopy(_crop("late"), 0.45) is None  # a senescing canopy


def test_the_note_says_what_was_held() -> None:
    assert expansion_note("canopy expanding (x)", (0.40, 0.45, 0.18), (0.20, 0.20, 0.18)) == (
        "canopy expanding (x): trigger held at 20% of TAW (was 45%; "
        "maize slows canopy growth from 14 % depletion)"
    )
    assert expansion_note(None, (0.40,), (0.40,)) == ""
    assert expansion_note("canopy expanding (x)", (0.20, 0.15), (0.20, 0.15)) == ""


def test_held_triggers_keep_the_refill_target_below_them(site: SiteConfig) -> None:
    # vegetative, trigger 40 %; 10 mm of rain in the forecast: the refill room lifts the
    # target above the 15 % base, and the held triggers (20 %) keep it TRIGGER_GAP below
    zone = site.zones[0]
    kwargs: dict[str, Any] = {
        "today": dt.date(2026, 5, 31),
        "forecast_rain_mm_day": (5.0, 5.0, 0.0),
        "rain_normals_mm": None,
    }
    seed = crop("seed_corn")
    free = zone_targets(zone, seed, 41, 100.0, (5.0, 5.0, 5.0), **kwargs)
    assert free.mad_fraction == (0.40, 0.40, 0.40) and free.refill_fraction == pytest.approx(0.25)
    held = zone_targets(zone, seed, 41, 100.0, (5.0, 5.0, 5.0), hold_at=0.20, **kwargs)
    assert held.mad_fraction == (0.20, 0.20, 0.20)
    assert held.refill_fraction == pytest.approx(0.20 - TRIGGER_GAP)
    # a zone's own trigger is the admin's: not held
    own = zone.model_copy(update={"mad_fraction": 0.5})
    assert zone_targets(own, seed, 41, 100.0, (5.0,) * 3, hold_at=0.2, **kwargs).mad_fraction == (
        0.5,
        0.5,
        0.5,
    )


def _decision(tmp_path: Path, cover: float | None) -> Decision:
    """z1's plan of :data:`PLAN_DAY` (DAP 41, vegetative: trigger 40 %), a photo at 08:00."""
    of = None if cover is None else photo("z1", cover, local(PLAN_DAY, 8))
    return zone_plan(tmp_path / f"q{cover}.db", of)


def test_the_daemons_plan_holds_the_trigger_while_the_camera_sees_the_canopy_grow(
    tmp_path: Path,
) -> None:
    plain = _decision(tmp_path, None)
    assert plain.inputs["raw_mm_day0"] == pytest.approx(0.40 * plain.inputs["taw_mm"])
    assert "trigger held" not in plain.reason
    seen = _decision(tmp_path, 0.45)
    assert seen.inputs["raw_mm_day0"] == pytest.approx(0.20 * seen.inputs["taw_mm"])
    assert "canopy expanding (camera cover 0.45, 10% to 80%): trigger held at 20% of TAW" in (
        seen.reason
    )
