"""The numba kernel equals the plain-Python reference; Hypothesis holds the invariants: the
pump capacity is never exceeded in any slot, runs stay in allowed slots, a refill never goes
past field capacity, and durations stay within the zone's limits."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.planner import Forecast, PlanInputs, PlanResult, ZonePlanInput, plan
from models.planner.kernel import plan_zones
from models.planner.reference import plan_zones_reference

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def random_args(seed: int, n_zones: int = 12, days: int = 3, spd: int = 24) -> tuple[Any, ...]:
    rng = np.random.default_rng(seed)
    n = days * spd
    taw = rng.uniform(20.0, 150.0, n_zones)
    mad = rng.uniform(0.3, 0.8, (n_zones, days))
    target = rng.uniform(0.0, 0.25, n_zones) * taw
    etc = np.repeat(rng.uniform(0.0, 10.0, (n_zones, days)) / spd, spd, axis=1)
    rain = np.repeat(rng.choice([0.0, 0.0, 5.0, 20.0], (n_zones, days)) / spd, spd, axis=1)
    flow = rng.uniform(5.0, 60.0, n_zones)
    min_run = rng.integers(1, 30, n_zones)
    allowed = rng.random((n_zones, n)) < rng.uniform(0.3, 1.0)
    return (
        rng.uniform(0.0, 1.0, n_zones) * taw,
        taw,
        mad * taw[:, None],
        target,
        np.ascontiguousarray(etc),
        np.ascontiguousarray(rain),
        rng.uniform(0.5, 1.0, n_zones),
        rng.uniform(500.0, 20000.0, n_zones),
        flow,
        min_run.astype(np.int64),
        (min_run + rng.integers(0, 300, n_zones)).astype(np.int64),
        np.where(rng.random(n_zones) < 0.4, rng.integers(5, 60, n_zones), 0).astype(np.int64),
        rng.integers(0, 90, n_zones).astype(np.int64),
        rng.random(n_zones) < 0.9,
        allowed,
        rng.choice([0.3, 0.6, 1.0], n),
        float(rng.uniform(60.0, 150.0)),
        spd,
        1440 // spd,
        int(rng.integers(0, 2 * spd)),
        np.where(rng.random(n) < 0.3, rng.uniform(0.0, 60.0, n), 0.0),
    )


@pytest.mark.parametrize("seed", range(40))
def test_kernel_equals_reference(seed: int) -> None:
    args = random_args(seed, spd=int(np.random.default_rng(seed).choice([24, 48, 96])))
    ours = plan_zones(*args)
    reference = plan_zones_reference(*args)
    assert len(ours) == len(reference)
    for got, want in zip(ours, reference, strict=True):
        assert got.dtype.kind == want.dtype.kind
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9)


def test_random_inputs_exercise_every_outcome() -> None:
    """The seeds plan events, cut runs, split cycles, defer, run out of slots and skip (the
    minimum-run refusal is pinned in test_planner.py)."""
    flags = 0
    statuses: set[int] = set()
    for seed in range(40):
        args = random_args(seed)
        out = plan_zones(*args)
        assert out[-1].max() <= float(args[16]) + 1e-9
        flags |= int(np.bitwise_or.reduce(out[6].ravel()))
        statuses |= set(out[9].tolist())
    assert flags == 0b11111
    assert {0, 1, 3} <= statuses


@st.composite
def plans(draw: st.DrawFn) -> PlanInputs:
    days = draw(st.integers(1, 3))
    n = 24 * days
    n_zones = draw(st.integers(1, 8))
    zones = []
    for i in range(n_zones):
        taw = draw(st.floats(20.0, 150.0))
        min_run = draw(st.integers(1, 30))
        zones.append(
            ZonePlanInput(
                zone_id=f"z{i}",
                dr_mm=draw(st.floats(0.0, 1.0)) * taw,
                taw_mm=taw,
                mad_fraction=tuple(draw(st.floats(0.3, 0.8)) for _ in range(days)),
                kc=draw(st.floats(0.2, 1.3)),
                area_m2=draw(st.floats(500.0, 20000.0)),
                flow_m3_h=draw(st.floats(5.0, 50.0)),
                efficiency=draw(st.floats(0.5, 1.0)),
                refill_target_fraction=draw(st.floats(0.0, 0.25)),
                min_run_min=min_run,
                max_run_min=min_run + draw(st.integers(0, 300)),
                system=draw(st.sampled_from(["drip", "sprinkler"])),
                infiltration_mm_h=draw(st.sampled_from([np.inf, 1.0, 5.0])),
                cycle_max_min=draw(st.integers(5, 60)),
                soak_min=draw(st.integers(0, 90)),
                probes_wet=draw(st.booleans()) and draw(st.booleans()),
            )
        )
    flags = st.lists(st.booleans(), min_size=n, max_size=n)
    return PlanInputs(
        zones=tuple(zones),
        pump_capacity_m3_h=draw(st.floats(50.0, 150.0)),
        window=tuple(draw(flags)),
        tariff_per_kwh=tuple(
            draw(st.lists(st.sampled_from([0.3, 0.6, 1.0]), min_size=n, max_size=n))
        ),
        horizon_days=days,
        forecast=Forecast(
            tuple(draw(st.floats(0.0, 10.0)) for _ in range(days)),
            tuple(draw(st.sampled_from([0.0, 0.0, 8.0])) for _ in range(days)),
        ),
        wind_m_s=tuple(draw(st.lists(st.floats(0.0, 10.0), min_size=n, max_size=n))),
        temperature_c=tuple(draw(st.lists(st.floats(-5.0, 30.0), min_size=n, max_size=n))),
        max_defer_h=draw(st.integers(0, 48)),
        reserved_flow_m3_h=tuple(
            draw(st.lists(st.sampled_from([0.0, 0.0, 0.0, 30.0, 50.0]), min_size=n, max_size=n))
        ),
    )


def _running_slots(p: PlanInputs, result: PlanResult) -> dict[str, list[set[int]]]:
    spans: dict[str, list[set[int]]] = {}
    for e in result.events:
        slots: set[int] = set()
        begin = e.start_min
        for k in range(e.cycles):
            length = e.duration_min // e.cycles + (1 if k < e.duration_min % e.cycles else 0)
            slots |= set(range(begin // p.slot_min, (begin + length - 1) // p.slot_min + 1))
            begin += length + e.soak_min
        spans.setdefault(e.zone_id, []).append(slots)
    return spans


@given(plans())
@SETTINGS
def test_invariants(p: PlanInputs) -> None:
    result = plan(p)
    zones = {z.zone_id: z for z in p.zones}
    assert p.reserved_flow_m3_h is not None
    load = np.array(p.reserved_flow_m3_h)  # runs outside the plan hold this much of the pump
    for zone_id, runs in _running_slots(p, result).items():
        zone = zones[zone_id]
        for slots in runs:
            for s in slots:
                load[s] += zone.flow_m3_h
                assert p.window[s]
                assert p.temperature_c is not None and p.temperature_c[s] >= p.frost_limit_c
                if zone.system == "sprinkler":
                    assert p.wind_m_s is not None and p.wind_m_s[s] <= p.wind_limit_m_s
    assert load.max(initial=0.0) <= p.pump_capacity_m3_h + 1e-9  # in every slot
    np.testing.assert_allclose(load, result.pump_load_m3_h, atol=1e-9)
    for e in result.events:
        zone = zones[e.zone_id]
        assert not zone.probes_wet
        assert zone.min_run_min <= e.duration_min <= zone.max_run_min
        assert e.net_depth_mm <= e.dr_at_start_mm + 1e-6  # never above field capacity
        assert e.start_slot >= e.trigger_slot
    assert plan(p, reference=True) == result


def test_a_slot_whose_flow_is_reserved_is_not_planned_over_capacity() -> None:
    """A run outside the plan (a calendar zone) holds 100 of 120 m³/h from 20:00 to 08:00:
    a 100 m³/h zone that needs water now waits for the first slot with room."""
    spd, days = 24, 1
    zone = ZonePlanInput(
        zone_id="z1",
        dr_mm=60.0,
        taw_mm=100.0,
        mad_fraction=(0.4,),
        kc=1.0,
        area_m2=10_000.0,
        flow_m3_h=100.0,
        efficiency=0.9,
        min_run_min=30,
        max_run_min=120,
    )
    free = PlanInputs(
        zones=(zone,),
        pump_capacity_m3_h=120.0,
        window=(True,) * spd,
        tariff_per_kwh=(1.0,) * spd,
        horizon_days=days,
        recent_et0_mm_day=(5.0,),
        max_defer_h=0,
    )
    reserved = tuple(100.0 if h < 12 else 0.0 for h in range(spd))  # slots 0-11 taken
    held = PlanInputs(**{**free.__dict__, "reserved_flow_m3_h": reserved})
    first, later = plan(free).events[0], plan(held).events[0]
    assert first.start_slot == 0
    assert later.start_slot == 12
    assert all(e.start_slot >= 12 for e in plan(held).events)
    assert plan(held, reference=True) == plan(held)
    assert max(plan(held).pump_load_m3_h) <= 120.0
