"""The planner's behaviour: trigger, refill depth, windows, tariff, pump capacity, run limits,
cycle-and-soak, rain skip, wind and frost limits, projection without forecast, sentences."""

from __future__ import annotations

import dataclasses
import math

import pytest

from models.planner import (
    Forecast,
    PlanInputs,
    PlannerInputError,
    ReasonCode,
    ZonePlanInput,
    plan,
)

DAYS = 2
SLOTS = 24 * DAYS
ALL = (True,) * SLOTS


def night(first_hour: int = 0) -> tuple[bool, ...]:
    """Slots allowed 20:00-08:00 when slot 0 starts at ``first_hour``."""
    return tuple((first_hour + h) % 24 >= 20 or (first_hour + h) % 24 < 8 for h in range(SLOTS))


def off_peak(first_hour: int = 0) -> tuple[float, ...]:
    """Tariff 0.3 from 23:00 to 07:00, 1.0 otherwise, when slot 0 starts at ``first_hour``."""
    return tuple(
        0.3 if (first_hour + h) % 24 >= 23 or (first_hour + h) % 24 < 7 else 1.0
        for h in range(SLOTS)
    )


NIGHT = night()
OFF_PEAK = off_peak()
FLAT = (1.0,) * SLOTS
NO_ET = Forecast(et0_mm_day=(0.0,) * DAYS, rain_mm_day=(0.0,) * DAYS)


def zone(zone_id: str = "z1", **changes: object) -> ZonePlanInput:
    """1000 m² at 10 m³/h (10 mm/h gross), TAW 100 mm, RAW at p = 0.5, refill to 15 %."""
    base = ZonePlanInput(
        zone_id=zone_id,
        dr_mm=50.0,
        taw_mm=100.0,
        mad_fraction=0.5,
        kc=1.0,
        area_m2=1000.0,
        flow_m3_h=10.0,
        efficiency=0.9,
        min_run_min=5,
        max_run_min=600,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def inputs(*zones: ZonePlanInput, **changes: object) -> PlanInputs:
    base = PlanInputs(
        zones=zones or (zone(),),
        pump_capacity_m3_h=100.0,
        window=ALL,
        tariff_per_kwh=FLAT,
        horizon_days=DAYS,
        forecast=NO_ET,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_trigger_at_raw_and_not_before() -> None:
    below = plan(inputs(zone(dr_mm=49.9)))
    assert below.events == ()
    assert below.decisions[0].reason is ReasonCode.NOT_TRIGGERED
    at = plan(inputs(zone(dr_mm=50.0)))
    assert [e.start_slot for e in at.events] == [0]
    assert at.decisions[0].reason is ReasonCode.TRIGGER_REACHED


def test_trigger_slot_follows_the_projection() -> None:
    # ETc 4.8 mm/d = 0.2 mm/h: from 45 mm, RAW 50 mm is reached at the start of slot 25
    forecast = Forecast(et0_mm_day=(4.8,) * DAYS, rain_mm_day=(0.0,) * DAYS)
    result = plan(inputs(zone(dr_mm=45.0), forecast=forecast))
    decision = result.decisions[0]
    assert decision.trigger_slot == 25 and decision.trigger_day == 1
    assert result.events[0].start_slot == 25
    assert result.events[0].dr_at_start_mm >= 50.0
    assert decision.etc_mm_day == pytest.approx((4.8, 4.8))


def test_stage_dependent_mad_allows_a_deficit() -> None:
    # day 0 outside a critical stage (MAD 0.7), day 1 critical (MAD 0.5)
    result = plan(inputs(zone(dr_mm=55.0, mad_fraction=(0.7, 0.5))))
    assert result.events[0].start_slot == 24
    assert result.decisions[0].trigger_mm == pytest.approx((70.0, 50.0))


def test_refill_depth_math() -> None:
    result = plan(inputs(zone(dr_mm=60.0)))
    event = result.events[0]
    net_mm = 60.0 - 0.15 * 100.0  # refill to 15 % of TAW
    gross_mm = net_mm / 0.9  # 50 mm
    minutes = gross_mm * 1000.0 / 1000.0 / 10.0 * 60.0  # 300 min
    assert event.duration_min == math.floor(minutes + 1e-6) == 300
    assert event.gross_depth_mm == pytest.approx(gross_mm)
    assert event.net_depth_mm == pytest.approx(net_mm)
    assert event.volume_m3 == pytest.approx(50.0)


def test_depth_never_above_field_capacity() -> None:
    result = plan(inputs(zone(dr_mm=100.0, refill_target_fraction=0.0)))
    assert result.events[0].net_depth_mm <= 100.0 + 1e-9


def test_windows_respected() -> None:
    result = plan(inputs(zone(dr_mm=60.0, max_run_min=120), window=NIGHT))
    assert result.events
    for event in result.events:
        first = event.start_min // 60
        last = (event.start_min + event.duration_min - 1) // 60
        assert all(NIGHT[s] for s in range(first, last + 1))
    assert "window 00:00-08:00" in result.decisions[0].sentence  # cut by the horizon start


def test_off_peak_preferred_when_both_allowed() -> None:
    result = plan(inputs(zone(dr_mm=55.0, max_run_min=60), tariff_per_kwh=OFF_PEAK))
    assert result.events[0].start_slot == 0
    assert result.events[0].mean_tariff_per_kwh == pytest.approx(0.3)
    late = plan(
        inputs(
            zone(dr_mm=55.0, max_run_min=60), tariff_per_kwh=off_peak(8), start_minute_of_day=8 * 60
        )
    )
    # slot 0 is 08:00 (peak); 23:00 is slot 15
    assert late.events[0].start_slot == 15
    assert late.events[0].clock == "23:00"
    assert "off-peak" in late.decisions[0].sentence


def test_min_run_raises_short_runs() -> None:
    # need 16 mm gross → 1 min at 10 mm/h... use a fast zone: 0.6 mm net → 4 min < 5
    result = plan(
        inputs(zone(dr_mm=50.0, mad_fraction=0.5, refill_target_fraction=0.494, min_run_min=10))
    )
    event = result.events[0]
    assert event.duration_min == 10
    assert ReasonCode.MIN_RUN_RAISED in event.reasons


def test_min_run_refused_when_it_overfills() -> None:
    # TAW 2 mm: 10 min at 10 mm/h is 1.5 mm net > Dr 1.0 mm at the trigger
    result = plan(inputs(zone(dr_mm=1.0, taw_mm=2.0, refill_target_fraction=0.1, min_run_min=10)))
    assert result.events == ()
    assert result.decisions[0].reason is ReasonCode.BELOW_MIN_RUN


def test_max_run_cuts_and_the_rest_follows() -> None:
    result = plan(inputs(zone(dr_mm=60.0, max_run_min=120)))
    events = result.events
    assert events[0].duration_min == 120
    assert ReasonCode.MAX_RUN_LIMITED in events[0].reasons
    assert ReasonCode.CONTINUATION in events[1].reasons
    assert sum(e.duration_min for e in events) == 300  # the whole need of 50 mm gross
    assert events[1].start_min >= events[0].start_min + 120


def test_max_run_rest_reported_when_no_slot() -> None:
    one_slot = (True, True) + (False,) * (SLOTS - 2)
    result = plan(inputs(zone(dr_mm=60.0, max_run_min=120), window=one_slot))
    decision = result.decisions[0]
    assert len(result.events) == 1
    assert ReasonCode.SHORTFALL in decision.reasons
    assert decision.shortfall_mm > 20.0
    assert f"shortfall {decision.shortfall_mm:.1f} mm" in decision.sentence


def test_cycle_and_soak_splits_when_application_exceeds_infiltration() -> None:
    split = plan(
        inputs(zone(dr_mm=60.0, infiltration_mm_h=5.0, cycle_max_min=40, soak_min=20))
    ).events[0]
    assert split.duration_min == 300
    assert split.cycles == 8 and split.cycle_min == 38  # 300 min as evenly as possible
    assert split.soak_min == 20
    assert ReasonCode.CYCLE_SOAK in split.reasons
    whole = plan(inputs(zone(dr_mm=60.0, infiltration_mm_h=50.0, cycle_max_min=40))).events[0]
    assert whole.cycles == 1


def test_cycle_and_soak_occupies_the_pump_only_while_running() -> None:
    result = plan(inputs(zone(dr_mm=60.0, infiltration_mm_h=5.0, cycle_max_min=30, soak_min=90)))
    load = result.pump_load_m3_h
    assert load[0] == 10.0 and load[1] == 0.0  # 30 min run, soak to 02:00
    assert load[2] == 10.0


def test_pump_capacity_shared_by_urgency() -> None:
    zones = [zone(f"z{i}", dr_mm=50.0 + i, max_run_min=60) for i in range(4)]
    result = plan(inputs(*zones, pump_capacity_m3_h=20.0))
    assert max(result.pump_load_m3_h) <= 20.0
    starts = {
        e.zone_id: e.start_slot for e in result.events if ReasonCode.CONTINUATION not in e.reasons
    }
    assert starts["z3"] == 0 and starts["z2"] == 0  # most depleted first
    assert starts["z1"] >= 1 and starts["z0"] >= 1


def test_no_slot_when_the_pump_is_too_small_for_everyone() -> None:
    one_slot = (True,) + (False,) * (SLOTS - 1)
    zones = [zone("a", dr_mm=60.0, max_run_min=60), zone("b", dr_mm=55.0, max_run_min=60)]
    result = plan(inputs(*zones, pump_capacity_m3_h=10.0, window=one_slot))
    assert result.decision("b").reason is ReasonCode.NO_SLOT
    assert "no slot" in result.decision("b").sentence


def test_rain_skip() -> None:
    result = plan(inputs(zone("z2", dr_mm=80.0), rain_last_24h_mm=12.0, rain_skip_mm=10.0))
    decision = result.decisions[0]
    assert result.events == ()
    assert decision.reason is ReasonCode.RAIN_SKIP
    assert decision.sentence == "z2: skip: 12.0 mm rain in the last 24 h ≥ 10 mm"
    assert plan(inputs(zone(dr_mm=80.0), rain_last_24h_mm=9.0, rain_skip_mm=10.0)).events


def test_probes_wet_skip() -> None:
    result = plan(inputs(zone(dr_mm=80.0, probes_wet=True), zone("z2", dr_mm=80.0)))
    assert result.decision("z1").reason is ReasonCode.PROBES_WET
    assert result.events_of("z1") == () and result.events_of("z2")


def test_wind_limit_only_for_sprinkler_zones() -> None:
    wind = tuple(9.0 if h < 12 else 1.0 for h in range(SLOTS))
    result = plan(
        inputs(
            zone("drip", dr_mm=55.0, max_run_min=60),
            zone("spr", dr_mm=55.0, max_run_min=60, system="sprinkler"),
            wind_m_s=wind,
            wind_limit_m_s=5.0,
        )
    )
    assert result.events_of("drip")[0].start_slot == 0
    assert result.events_of("spr")[0].start_slot == 12
    assert ReasonCode.WIND_LIMIT in result.decision("spr").reasons
    assert result.decision("spr").wind_blocked_slots == 12
    assert ReasonCode.WIND_LIMIT not in result.decision("drip").reasons


def test_frost_limit() -> None:
    temperature = tuple(-1.0 if h < 6 else 10.0 for h in range(SLOTS))
    result = plan(
        inputs(zone(dr_mm=55.0, max_run_min=60), temperature_c=temperature, frost_limit_c=2.0)
    )
    assert result.events[0].start_slot == 6
    assert result.decisions[0].frost_blocked_slots == 6
    assert ReasonCode.FROST_LIMIT in result.decisions[0].reasons


def test_no_forecast_uses_recent_et0_and_says_so() -> None:
    result = plan(
        inputs(zone(dr_mm=40.0, kc=1.2), forecast=None, recent_et0_mm_day=(4.0, 5.0, 6.0))
    )
    decision = result.decisions[0]
    assert result.et0_source == "recent_mean" == decision.et0_source
    assert result.et0_mm_day == (5.0, 5.0)
    assert decision.etc_mm_day == pytest.approx((6.0, 6.0))
    assert ReasonCode.NO_FORECAST in decision.reasons
    assert "from the mean of the last 3 days (no forecast)" in decision.sentence
    # 40 → 50 mm at 0.25 mm/h: trigger at slot 40
    assert decision.trigger_slot == 40


def test_forecast_rain_delays_the_trigger() -> None:
    dry = Forecast(et0_mm_day=(5.0, 5.0), rain_mm_day=(0.0, 0.0))
    wet = Forecast(et0_mm_day=(5.0, 5.0), rain_mm_day=(10.0, 0.0))
    assert plan(inputs(zone(dr_mm=46.0), forecast=dry)).decisions[0].trigger_slot is not None
    assert plan(inputs(zone(dr_mm=46.0), forecast=wet)).decisions[0].trigger_slot is None


def test_decision_sentence_contains_the_numbers() -> None:
    result = plan(
        inputs(
            zone("z3", dr_mm=51.0, taw_mm=96.0, mad_fraction=0.5),
            window=night(20),
            start_minute_of_day=20 * 60,
        )
    )
    decision = result.decisions[0]
    event = result.events[0]
    assert decision.sentence.startswith(
        f"z3: {event.duration_min} min, {event.gross_depth_mm:.1f} mm at 20:00 (day 0)"
    )
    assert "depletion 51.0 mm ≥ trigger 48.0 mm" in decision.sentence
    assert "TAW 96.0 mm" in decision.sentence
    assert "window 20:00-08:00" in decision.sentence
    assert decision.depth_mm == event.gross_depth_mm and decision.flow_m3_h == 10.0
    quiet = plan(inputs(zone("z1", dr_mm=20.0))).decisions[0]
    assert quiet.sentence == (
        "z1: no irrigation: depletion 20.0 mm now, 20.0 mm after 2 days, below trigger 50.0 mm"
    )


@pytest.mark.parametrize(
    ("changes", "element"),
    [
        ({"pump_capacity_m3_h": 0.0}, "pump_capacity_m3_h"),
        ({"window": (True,)}, "window"),
        ({"tariff_per_kwh": (1.0,) * (SLOTS - 1) + (math.nan,)}, f"tariff_per_kwh[{SLOTS - 1}]"),
        ({"forecast": None}, "recent_et0_mm_day"),
        ({"slot_min": 7}, "slot_min"),
        ({"zones": (zone(dr_mm=120.0),)}, "zones[0].dr_mm"),
        ({"zones": (zone(mad_fraction=(0.5, 0.1)),)}, "zones[0].mad_fraction[1]"),
        ({"zones": (zone(flow_m3_h=200.0),)}, "zones[0].flow_m3_h"),
        ({"zones": (zone(min_run_min=30, max_run_min=20),)}, "zones[0].max_run_min"),
        ({"zones": (zone("a"), zone("a"))}, "zones"),
    ],
)
def test_bad_inputs_are_named(changes: dict[str, object], element: str) -> None:
    with pytest.raises(PlannerInputError) as info:
        plan(inputs(**changes))
    assert info.value.element == element
    assert isinstance(info.value, ValueError)
    assert str(info.value).startswith(element)
