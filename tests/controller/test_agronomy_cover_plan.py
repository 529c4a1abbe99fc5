"""The planner's projected Kc takes the balance's canopy-cover rule (FAO-56 eq. 97), the
latest cover held over the horizon; without a camera the calendar's Kc, as before."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.agronomy.coverkc import projected_kc
from controller.agronomy.jobs import Agronomy
from controller.clock import VirtualClock
from controller.config.site import SiteConfig, ZoneConfig, load_site
from controller.store import Store
from models.crops import crop
from tests.helpers.agronomy import DAY1, local, weather_day
from tests.helpers.coverplan import photo, zone_plan
from tests.helpers.site import DEMO_SITE

SEED_CORN = crop("seed_corn")  # Kc 0.3/1.2/0.6, Kcb 0.15/1.15/0.5, stages 30/40/50/33, mulch 0.85


@pytest.fixture
def site() -> SiteConfig:
    return load_site(DEMO_SITE)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'q.db'}", clock=VirtualClock(local(DAY1, 0)))
    yield s
    s.close()


def _z1(site: SiteConfig) -> ZoneConfig:
    return next(z for z in site.zones if z.name == "z1")


def test_the_projection_holds_the_cover_through_eq_97() -> None:
    # mid season (crop days 80-82): h 2 m, Kd = min(1, 2 · 0.5, 0.5^(1/3) = 0.794);
    # Kcb = 0.15 + 0.794 · (1.15 − 0.15) = 0.944; Kc = 1.2 − 1.15 + 0.944 = 0.994; × 0.85
    mid = (0.05 + 0.15 + 0.5 ** (1 / 3)) * 0.85
    assert projected_kc(SEED_CORN, 80, 3, 0.5) == pytest.approx((mid, mid, mid), abs=1e-9)
    # development day 11 of 40 (crop day 41): calendar Kcb 0.425, Kc 0.5475, h 0.586 m;
    # cover 0.45: Kd = 0.45^(1/1.586) = 0.6045, Kcb 0.7545, Kc 0.877, × 0.85 = 0.7454
    assert projected_kc(SEED_CORN, 41, 3, 0.45)[0] == pytest.approx(0.7454, abs=1e-4)
    # a thin canopy (cover 0.05) on the same day: Kd = min(1, 2 · 0.05, 0.05^(1/1.586) =
    # 0.151) = 0.1, Kcb 0.25, Kc 0.5475 − 0.425 + 0.25 = 0.3725, × 0.85 = 0.3166, below the
    # calendar's 0.5475 × 0.85 = 0.4654
    assert projected_kc(SEED_CORN, 41, 3, 0.05)[0] == pytest.approx(0.316625, abs=1e-9)


def test_without_a_camera_the_projection_is_the_calendars() -> None:
    # development: Kc = 0.3 + (d − 30)/40 · 0.9, × 0.85 (crop days 41, 42, 43)
    by_hand = tuple((0.3 + (d - 30) / 40 * 0.9) * 0.85 for d in (41, 42, 43))
    assert projected_kc(SEED_CORN, 41, 3, None) == pytest.approx(by_hand, abs=1e-12)


@pytest.mark.parametrize(("dap", "cover"), [(41, 0.05), (41, 0.45), (80, 0.5)])
def test_day_plus_one_of_the_projection_is_the_balance_of_that_day(
    site: SiteConfig, store: Store, dap: int, cover: float
) -> None:
    # the photo of today (10:00) still sets tomorrow's Kcb in the balance (COVER_MAX_AGE
    # 3 days): tomorrow's ETc by the balance = projected Kc of day + 1 × tomorrow's ET0
    z1 = _z1(site)
    today = z1.planting_date + dt.timedelta(days=dap)
    tomorrow = today + dt.timedelta(days=1)
    weather_day(store, tomorrow)
    of = photo("z1", cover, local(today, 10))
    agro = Agronomy(site, store, VirtualClock(local(tomorrow + dt.timedelta(days=1), 1)), cover=of)
    assert agro.crop_state(z1, today).crop_day == dap  # the calendar's clock: the premise
    row = agro.balance_day(z1, tomorrow, agro.measured_et0(tomorrow))
    assert "from canopy cover" in row.notes
    ahead = projected_kc(SEED_CORN, dap, 3, cover)
    assert row.kc == pytest.approx(ahead[1], abs=1e-12)
    assert row.etc_mm == pytest.approx(ahead[1] * row.et0_mm, abs=1e-9)


def test_the_daemons_plan_projects_the_cameras_cover_and_else_the_calendar(
    tmp_path: Path,
) -> None:
    today = dt.date(2026, 5, 31)
    plain = zone_plan(tmp_path / "plain.db", None)
    horizon = len(plain.inputs["kc"])
    calendar = [(0.3 + (41 + d - 30) / 40 * 0.9) * 0.85 for d in range(horizon)]
    assert plain.inputs["kc"] == pytest.approx(calendar, abs=1e-12)
    assert "Kc ahead from canopy cover" not in plain.reason
    # a camera on another zone only: z1's plan is exactly the plain one
    other = zone_plan(tmp_path / "other.db", photo("z2", 0.05, local(today, 8)))
    assert other.inputs["kc"] == plain.inputs["kc"]
    assert other.inputs["raw_mm_day0"] == plain.inputs["raw_mm_day0"]
    # a thin canopy on z1: Kc ahead 0.3166 on crop day 41 (worked above), below the calendar
    thin = zone_plan(tmp_path / "thin.db", photo("z1", 0.05, local(today, 8)))
    assert thin.inputs["kc"] == pytest.approx(list(projected_kc(SEED_CORN, 41, horizon, 0.05)))
    assert thin.inputs["kc"][0] == pytest.approx(0.316625, abs=1e-9)
    assert "Kc ahead from canopy cover 0.05 held (FAO-56 eq. 97)" in thin.reason
