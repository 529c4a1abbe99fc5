"""The simulated flow meter reads the water with an error of its own.

The water that reaches the soil is the field's flow; the meter's reading is that flow times
a calibration gain of the meter and reading noise, drawn from the meter's own random stream.
Were they one draw, the season's check that the metered water is the water the soil received
(hil_tests/test_season.py) could never disagree.
"""

from __future__ import annotations

import pytest

from drivers.sim import SimField, VirtualDevice
from drivers.sim.field import METER_GAIN_SD
from tests.helpers.clock import FakeClock
from tests.helpers.simfield import WIRING
from tests.helpers.simfield import devices_for as _devices


def _metered_total(flow: VirtualDevice) -> float:
    return flow.get("total") + flow.get("total_fraction")


def _water(seed: int, steps: int = 90) -> tuple[list[float], list[float], float, float]:
    """Both zones watered for ``steps`` × 10 s: true flows, readings and both totals."""
    clock = FakeClock()
    devices = _devices(clock)
    field = SimField(WIRING, devices, seed=seed)
    relay, flow = devices["relay1"], devices["flow1"]
    for ch in ("ch1", "ch2", "ch7", "ch8"):
        relay.set(ch, 1)
    truth, read = [], []
    for _ in range(steps):
        clock.now += 10
        field.step(10)
        truth.append(field.flow_m3h)
        read.append(flow.get("flow_rate"))
    return truth, read, field.total_m3, _metered_total(flow)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_meter_errs_on_its_own_within_a_real_meter_s_accuracy(seed: int) -> None:
    truth, read, true_m3, metered_m3 = _water(seed)
    errors = [r / t - 1 for t, r in zip(truth, read, strict=True)]
    # Not the field's draw: the reading differs from the water, step by step and differently.
    assert max(abs(e) for e in errors) > 1e-3
    assert max(errors) - min(errors) > 1e-3
    # But within a meter's accuracy: the totals as closely as the season test asks (3 %).
    assert true_m3 == pytest.approx(20 * 900 / 3600, rel=0.02)
    assert metered_m3 == pytest.approx(true_m3, rel=0.03)
    assert metered_m3 == pytest.approx(true_m3, rel=5 * METER_GAIN_SD + 0.002)


def test_the_meter_is_repeatable_for_a_seed() -> None:
    a, b = _water(1), _water(1)
    assert a == b
    other = _water(2)
    assert a[1] != other[1] and a[3] != other[3]
