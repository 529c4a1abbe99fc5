"""A run's water at the metering seam (:mod:`controller.runtime.metering`): a totalizer that
reads fresh only after the run started, a rate integrated (below 1 m3/h, negative, missing),
the seconds counted each way, runs sharing a meter split by nominal flow, and the age of the
water not yet counted. A real :class:`Metering` over a :class:`LiveState` fed by hand on a
:class:`VirtualClock`; the demo site's zones, one given half the nominal flow, one its own
meter."""

from __future__ import annotations

import datetime as dt

import pytest

from controller.clock import VirtualClock
from controller.config.site import SiteConfig, ZoneConfig, load_site
from controller.runtime.live import LiveState
from controller.runtime.metering import Metering, RunWater
from drivers.reading import Quality, Reading
from tests.helpers.site import DEMO_SITE

T0 = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def demo() -> SiteConfig:
    return load_site(DEMO_SITE)


class Field:
    """flow1 (and a second meter, flow2) as the poller leaves them, metered."""

    def __init__(self, site: SiteConfig) -> None:
        self.site = site
        self.clock = VirtualClock(T0)
        self.live = LiveState()
        self.metering = Metering(site, self.live, self.clock)

    def read(self, device: str = "flow1", **points: float) -> None:
        now = self.clock.now()
        self.live.update(
            Reading(device, p, v, "", Quality.OK, now, decoded=v) for p, v in points.items()
        )

    def zone(self, name: str, **changes: object) -> ZoneConfig:
        (zone,) = (z for z in self.site.zones if z.name == name)
        return zone.model_copy(update=changes)


def test_a_totalizer_fresh_only_after_the_start_takes_over_from_the_rate(
    demo: SiteConfig,
) -> None:
    """Started with only the rate fresh: the first tick that reads a total anchors it and is
    integrated (1 s), the ticks after it count by the totalizer (2 s)."""
    field = Field(demo)
    z1 = field.zone("z1")
    field.read(flow_rate=36.0)  # 0.01 m3 a second
    water = field.metering.start(z1, [])
    assert field.metering.counted_to(z1) is None
    field.clock.advance(1)
    field.read(flow_rate=36.0, total=100.0)
    field.metering.account([water], 1.0)
    for total_m3 in (100.01, 100.02):
        field.clock.advance(1)
        field.read(flow_rate=36.0, total=total_m3)
        field.metering.account([water], 1.0)
    assert water.applied_m3 == pytest.approx(0.03)
    assert (water.totalizer_s, water.integrated_s) == (2.0, 1.0)
    assert field.metering.how(water) == "water by flow1 totalizer, flow rate integrated for 1 s"
    assert field.metering.counted_to(z1) == ("flow1", 100.02, field.clock.now())


def test_the_rate_integrated_below_1_m3_h_negative_and_missing(demo: SiteConfig) -> None:
    """No totalizer: 0.5 m3/h over 2 s, then a negative rate (none), then no fresh rate."""
    field = Field(demo)
    water = field.metering.start(field.zone("z1"), [])
    field.read(flow_rate=0.5)
    field.metering.account([water], 2.0)
    assert water.applied_m3 == 0.5 * 2.0 / 3600
    field.read(flow_rate=-2.0)
    field.metering.account([water], 2.0)
    field.clock.advance(demo.safety.stale_after_s + 1)  # the rate is stale: no water known
    field.metering.account([water], 2.0)
    assert water.applied_m3 == 0.5 * 2.0 / 3600
    assert (water.totalizer_s, water.integrated_s) == (0.0, 6.0)
    assert field.metering.how(water) == "water by flow1 flow-rate integration"


def test_a_meter_first_counted_without_a_start_anchors_there(demo: SiteConfig) -> None:
    """A run's water handed to account() before its meter was ever anchored: that tick
    anchors the totalizer (and integrates the rate), the next counts from it."""
    field = Field(demo)
    water = RunWater(field.zone("z1"))
    field.read(flow_rate=36.0, total=50.0)
    field.metering.account([water], 1.0)
    field.clock.advance(1)
    field.read(flow_rate=36.0, total=50.25)
    field.metering.account([water], 1.0)
    assert water.applied_m3 == pytest.approx(0.01 + 0.25)
    assert (water.totalizer_s, water.integrated_s) == (1.0, 1.0)


def test_runs_sharing_a_meter_split_its_water_and_rate_by_nominal_flow(
    demo: SiteConfig,
) -> None:
    """z1 (100 m3/h) and z2 given 50 m3/h on flow1, z3 on a meter of its own: z2's start does
    not anchor flow1 again (z1's water since the last tick stays counted), z3's anchors
    flow2; the rate is split 2 : 1."""
    field = Field(demo)
    z1, z2 = field.zone("z1"), field.zone("z2", nominal_flow_m3_h=50.0)
    z3 = field.zone("z3", flow_meter="flow2")
    field.read(flow_rate=30.0, total=10.0)
    field.read("flow2", flow_rate=5.0, total=7.0)
    w1 = field.metering.start(z1, [])
    field.clock.advance(1)
    field.read(flow_rate=30.0, total=10.3)
    w2 = field.metering.start(z2, [z1])
    w3 = field.metering.start(z3, [z1, z2])
    assert field.metering.counted_to(z3) == ("flow2", 7.0, T0)
    field.metering.account([w1, w2, w3], 1.0)
    assert (w1.applied_m3, w2.applied_m3) == pytest.approx((0.2, 0.1))
    assert w3.applied_m3 == 0.0  # flow2 still reads what it was anchored at
    assert field.metering.rate_m3_h(w1, [w1, w2, w3]) == pytest.approx(20.0)
    assert field.metering.rate_m3_h(w2, [w1, w2, w3]) == pytest.approx(10.0)
    assert field.metering.rate_m3_h(w3, [w1, w2, w3]) == 5.0
    field.read(flow_rate=-3.0)
    assert field.metering.rate_m3_h(w1, [w1, w2]) == 0.0


def test_the_water_not_yet_counted_is_the_age_of_the_total_counted_to(
    demo: SiteConfig,
) -> None:
    """0 s for a meter never started, one integrating its rate, or one whose total is no
    longer fresh; else the age of the total its water counts up to."""
    field = Field(demo)
    z1 = field.zone("z1")
    assert field.metering.unmetered_s(RunWater(z1)) == 0.0  # no meter yet
    assert field.metering.counted_to(z1) is None
    field.read(flow_rate=36.0)
    integrating = field.metering.start(z1, [])
    assert field.metering.unmetered_s(integrating) == 0.0
    field.read(flow_rate=36.0, total=100.0)
    counting = field.metering.start(z1, [])
    field.clock.advance(3)
    assert field.metering.unmetered_s(counting) == 3.0
    field.clock.advance(demo.safety.stale_after_s)
    assert field.metering.unmetered_s(counting) == 0.0  # no fresh total: not known
