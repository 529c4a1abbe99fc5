"""Multi-channel dosing: ratio, loops with anti-windup, and every stop at its boundary."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from controller.runtime.channels import (
    ACID_MAX_OF_PLAN,
    ALARMS,
    EC_SCALE_LIMITS,
    NO_FLOW_HOLD_S,
    STALE_HOLD_S,
    Measurement,
)
from controller.runtime.piloop import PI, simc
from tests.helpers.channelplan import LOOP, dosing, ok


def test_plan_turns_kg_and_litres_per_mu_into_stock_per_m3_of_planned_water() -> None:
    d = dosing()
    n, k, acid = (d.channels[x].target for x in ("N", "K", "acid"))
    assert n.target_l == pytest.approx(1.0 * 10 / 0.5)  # 20 L of stock for 10 mu
    assert k.target_l == pytest.approx(2.0 * 10)
    volume_m3 = 10.0 * 0.5  # 10 m³/h for 30 min
    assert n.ratio_l_m3 == pytest.approx(20 / volume_m3)
    assert acid.ratio_l_m3 == 0.2 and acid.target_l is None


def test_rates_follow_flow_keep_the_ratio_and_give_each_amount_to_the_litre() -> None:
    d = dosing()
    first = d.step(1.0, ok())
    assert first["N"] == pytest.approx(4.0 * 10) and first["K"] == pytest.approx(4.0 * 10)
    assert first["acid"] == pytest.approx(0.2 * 10)
    half = d.step(1.0, ok(flow_m3_h=5.0))
    assert half["N"] == pytest.approx(first["N"] / 2)
    while not d.done:
        rates = d.step(1.0, ok(ec_ms_cm=1.3))  # EC low: the loop raises both together
        if rates["N"] and rates["K"] and d.channels["N"].given_l < 19:
            assert rates["N"] / rates["K"] == pytest.approx(1.0)
    assert d.channels["N"].given_l == pytest.approx(20.0, abs=1e-9)
    assert d.channels["K"].given_l == pytest.approx(20.0, abs=1e-9)
    assert d.stopped is None
    assert d.step(1.0, ok()) == {"N": 0.0, "K": 0.0, "acid": 0.0}


def test_no_flow_stops_every_channel_at_once_acid_too_and_ends_dosing_after_the_hold() -> None:
    d = dosing()
    d.step(1.0, ok())
    for no_water in (ok(flow_m3_h=0.0), ok(pump_on=False), ok(flow_m3_h=None), ok(flow_m3_h=0.49)):
        assert set(d.step(1.0, no_water).values()) == {0.0}
    assert d.stopped is None
    given = {n: c.given_l for n, c in d.channels.items()}
    for _ in range(int(NO_FLOW_HOLD_S) - 5):
        assert set(d.step(1.0, ok(pump_on=False)).values()) == {0.0}
    assert d.stopped is None
    d.step(1.0, ok(pump_on=False))
    assert d.stopped is not None and d.stopped.code == "inject_no_flow"
    assert {n: c.given_l for n, c in d.channels.items()} == given


def test_flow_back_before_the_hold_resumes_on_feed_forward() -> None:
    d = dosing()
    d.step(1.0, ok())
    for _ in range(int(NO_FLOW_HOLD_S) - 1):
        d.step(1.0, ok(pump_on=False))
    rates = d.step(1.0, ok(ec_ms_cm=0.5))  # the probe still reads water: no P action yet
    assert rates["N"] == pytest.approx(40.0) and d.stopped is None


@pytest.mark.parametrize(("level", "stops"), [(0.1001, False), (0.1, False), (0.0999, True)])
def test_tank_low_at_under_and_over_its_level(level: float, stops: bool) -> None:
    d = dosing()
    rates = d.step(1.0, ok(levels_m={"N": level}))
    assert (d.stopped is not None) == stops
    if stops:
        assert d.stopped is not None
        assert (d.stopped.code, d.stopped.channel) == ("tank_low", "N")
        assert set(rates.values()) == {0.0}


def test_a_tank_that_does_not_fall_with_what_was_given_is_a_clogged_injector() -> None:
    d = dosing()
    level = 0.8
    for _ in range(1000):  # N: 40 L/h into a 0.5 m² tank is 20 mm in 900 s
        d.step(1.0, ok(levels_m={"N": level}))
        level -= d.channels["N"].rate_l_h / 3600 / 1000 / 0.5 * 0.6  # 60 % delivered
    assert d.stopped is None
    d = dosing()
    level = 0.8
    for _ in range(1000):
        d.step(1.0, ok(levels_m={"N": level}))
        level -= d.channels["N"].rate_l_h / 3600 / 1000 / 0.5 * 0.4  # 40 % delivered
    assert d.stopped is not None
    assert (d.stopped.code, d.stopped.channel) == ("injector_delivery_low", "N")


def test_channel_max_time_ends_dosing_at_its_limit() -> None:
    d = dosing(inject_s=3600, max_run_min=1)
    for _ in range(60):
        d.step(1.0, ok())
    assert d.stopped is None and d.channels["acid"].on_s == 60
    assert set(d.step(1.0, ok()).values()) == {0.0}
    assert d.stopped is not None and d.stopped.code == "dosing_max_time"


def test_a_stale_meter_ends_dosing_after_its_hold() -> None:
    d = dosing()
    for _ in range(int(STALE_HOLD_S) - 1):
        d.step(1.0, ok(ph=None))
    assert d.stopped is None
    d.step(1.0, ok(ph=None))
    assert d.stopped is not None and d.stopped.code == "ec_meter_stale"
    assert "pH" in d.stopped.message


def test_out_of_band_counts_only_after_the_line_settled() -> None:
    d = dosing()
    settle = 100 / (10 / 3.6) + 3 * 10 + 2 * 10  # θ + 3τ hold, then 2τ more
    t = 0
    while t < settle + LOOP.out_of_band_s - 2:  # the step reaching `settle` counts
        d.step(1.0, ok(ec_ms_cm=0.5))
        t += 1
    assert d.stopped is None
    d.step(1.0, ok(ec_ms_cm=0.5))
    assert d.stopped is not None and d.stopped.code == "ec_off_setpoint"


def test_ec_loop_scale_stays_within_its_limits() -> None:
    d = dosing(inject_s=3600)
    for _ in range(600):
        d.step(1.0, ok(ec_ms_cm=0.6))
        assert EC_SCALE_LIMITS[0] <= d.ec_pi.u <= EC_SCALE_LIMITS[1]
    assert d.ec_pi.u == EC_SCALE_LIMITS[1]


def test_ph_probe_that_does_not_move_while_acid_does_is_called_stuck() -> None:
    d = dosing(inject_s=3600)
    for _ in range(int(LOOP.ph_stuck_s) + 60):
        d.step(1.0, ok(ph=7.0))
    assert d.stopped is not None and d.stopped.code == "ph_probe_stuck"


def test_ph_probe_that_moves_is_not_called_stuck() -> None:
    d = dosing(inject_s=3600)
    for i in range(int(LOOP.ph_stuck_s) + 60):
        d.step(1.0, ok(ph=6.9 + 0.01 * (i % 2)))
    assert d.stopped is None


def test_pi_does_not_wind_up_against_its_limit() -> None:
    pi = PI(1.0, 0.5, 1.3, u=1.0)
    for _ in range(1000):
        pi.step(1.0, 1.0, kc=0.1, ti_s=10.0)
    assert pi.u == 1.3 and pi.saturated
    held = pi.integral
    assert held < 40  # it stopped integrating once the output hit the limit
    pi.step(-1.0, 1.0, kc=0.1, ti_s=10.0)
    assert pi.u < 1.3  # recovers at once, not after unwinding 1000 s of error


def test_simc_rules() -> None:
    kc, ti = simc(2.0, tau1_s=20.0, theta_s=30.0, tauc_s=30.0)
    assert kc == pytest.approx(20 / (2 * 60)) and ti == 20.0
    kc, ti = simc(1.0, tau1_s=500.0, theta_s=10.0, tauc_s=10.0)
    assert ti == 80.0
    with pytest.raises(ValueError, match="SIMC"):
        simc(0.0, 1.0, 1.0, 1.0)


def test_a_fertilizer_channel_at_its_max_rate_slows_them_all_so_the_ratio_holds() -> None:
    d = dosing()
    rates = d.step(1.0, ok(flow_m3_h=40.0))  # N and K want 4 L/m³ × 40 = 160 L/h
    assert rates["N"] == 100.0 and rates["K"] == 100.0  # both at N's limit, ratio 1:1 kept
    assert rates["acid"] == pytest.approx(0.2 * 40)


def test_acid_loop_is_capped_at_its_share_of_the_recipe() -> None:
    d = dosing(inject_s=3600)
    for i in range(1500):  # pH stays high (weak acid), in its band: the loop asks for more
        d.step(1.0, ok(ph=6.85 + 0.01 * (i % 2)))
        assert d.ph_pi.u <= ACID_MAX_OF_PLAN * 0.2 + 1e-12
    assert d.stopped is None
    # at the cap, within one step's integration (conditional anti-windup stops it there)
    assert d.ph_pi.u == pytest.approx(ACID_MAX_OF_PLAN * 0.2, abs=0.002)
    assert d.channels["acid"].rate_l_h == pytest.approx(ACID_MAX_OF_PLAN * 0.2 * 10, abs=0.02)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.floats(0.0, 60.0)),  # flow m³/h
            st.booleans(),  # pump on
            st.one_of(st.none(), st.floats(0.0, 5.0)),  # EC
            st.one_of(st.none(), st.floats(4.0, 9.0)),  # pH
            st.one_of(st.none(), st.floats(0.0, 1.0)),  # N tank level
        ),
        min_size=1,
        max_size=300,
    )
)
def test_no_stock_without_water_no_rate_above_its_limit_no_amount_beyond_its_goal(
    steps: list[tuple[float | None, bool, float | None, float | None, float | None]],
) -> None:
    d = dosing(inject_s=600)
    for flow, pump, ec, ph, level in steps:
        m = Measurement(flow, pump, ec, ph, {"N": level})
        rates = d.step(1.0, m)
        if not pump or flow is None or flow < 0.5 or d.stopped is not None:
            assert set(rates.values()) == {0.0}
        for name, ch in d.channels.items():
            assert 0.0 <= rates[name] <= ch.target.max_rate_l_h
            if ch.target.target_l is not None:
                assert ch.given_l <= ch.target.target_l + 1e-9
        if d.stopped is not None:
            assert d.stopped.code in ALARMS
