"""The PI loop and the dosing channels at, just under and just over each of their bounds:
SIMC's guards and both branches of τI, conditional integration on each side of each limit,
and every stop of :class:`ChannelDosing` at the step it must come (and not one before)."""

from __future__ import annotations

import re

import pytest

from controller.config.dosing import ChannelConfig, ChannelDose, DosingLoopConfig, DosingRecipe
from controller.runtime.channels import (
    NO_FLOW_HOLD_S,
    STALE_HOLD_S,
    ChannelDosing,
    DosingStop,
)
from controller.runtime.piloop import PI, simc
from tests.helpers.channelplan import LOOP, RECIPE, channel_configs, dosing, ok

# ------------------------------------------------------------------ SIMC (piloop.simc)


@pytest.mark.parametrize(
    ("k", "tau1_s", "theta_s", "tauc_s"),
    [
        (0.0, 20.0, 5.0, 5.0),
        (-1.0, 20.0, 5.0, 5.0),
        (1.0, 0.0, 5.0, 5.0),
        (1.0, -1.0, 5.0, 5.0),
        (1.0, 20.0, -0.5, 5.0),
        (1.0, 20.0, 5.0, 0.0),
        (1.0, 20.0, 5.0, -1.0),
    ],
)
def test_simc_refuses_a_gain_or_time_out_of_range_naming_the_values(
    k: float, tau1_s: float, theta_s: float, tauc_s: float
) -> None:
    with pytest.raises(ValueError) as info:
        simc(k, tau1_s, theta_s, tauc_s)
    assert f"{k}, {tau1_s}, {theta_s}, {tauc_s}" in str(info.value)


@pytest.mark.parametrize(
    ("k", "tau1_s", "theta_s", "tauc_s"),
    [(1e-6, 20.0, 5.0, 5.0), (1.0, 1e-6, 5.0, 5.0), (1.0, 20.0, 0.0, 5.0), (1.0, 20.0, 5.0, 1e-6)],
)
def test_simc_takes_the_smallest_gain_and_times_and_no_dead_time(
    k: float, tau1_s: float, theta_s: float, tauc_s: float
) -> None:
    kc, ti = simc(k, tau1_s, theta_s, tauc_s)
    assert kc == pytest.approx(tau1_s / (k * (tauc_s + theta_s)))  # eq. 13
    assert ti == pytest.approx(min(tau1_s, 4 * (tauc_s + theta_s)))  # eq. 14


def test_simc_gain_and_integral_time_by_eqs_13_and_14() -> None:
    # τ1 = 100 s, θ = 10 s, τc = 15 s: Kc = 100 / (2 × 25) = 2; 4(τc + θ) = 100 = τ1
    assert simc(2.0, 100.0, 10.0, 15.0) == (2.0, 100.0)
    # a slow process: τI is 4(τc + θ) = 40 s, less than τ1 = 400 s
    kc, ti = simc(4.0, 400.0, 2.0, 8.0)
    assert (kc, ti) == (pytest.approx(10.0), 40.0)
    # a fast one: τI is τ1 = 30 s, less than 4(τc + θ) = 120 s
    kc, ti = simc(0.5, 30.0, 10.0, 20.0)
    assert (kc, ti) == (pytest.approx(2.0), 30.0)


# ------------------------------------------------------------------ PI (piloop.PI)


def test_a_new_loop_outputs_nothing_and_has_integrated_nothing() -> None:
    pi = PI(0.5, 0.2, 0.8)
    assert (pi.u, pi.integral) == (0.0, 0.0)


def test_the_output_is_feed_forward_plus_p_plus_i_within_the_limits() -> None:
    pi = PI(1.0, 0.0, 10.0)
    # u = u0 + Kc·(e + ∫e dt / τI) = 1 + 2·(0.5 + 0.5·4 / 8) = 2.5
    assert pi.step(0.5, 4.0, kc=2.0, ti_s=8.0) == pytest.approx(2.5)
    assert pi.integral == pytest.approx(2.0)
    # the integral goes on: ∫ = 2 + 0.25·4 = 3; u = 1 + 2·(0.25 + 3 / 8) = 2.25
    assert pi.step(0.25, 4.0, kc=2.0, ti_s=8.0) == pytest.approx(2.25)
    assert pi.integral == pytest.approx(3.0)
    assert pi.u == pytest.approx(2.25)


def test_an_output_that_lands_exactly_on_a_limit_still_integrates() -> None:
    up = PI(0.5, 0.0, 1.0)  # 0.5 + 1·(0.25 + 0.25 / 1) = 1.0 = u_max
    assert up.step(0.25, 1.0, kc=1.0, ti_s=1.0) == 1.0
    assert up.integral == 0.25 and up.saturated
    down = PI(0.5, 0.0, 1.0)  # 0.5 + 1·(−0.25 − 0.25 / 1) = 0.0 = u_min
    assert down.step(-0.25, 1.0, kc=1.0, ti_s=1.0) == 0.0
    assert down.integral == -0.25 and down.saturated


@pytest.mark.parametrize(("error", "kc"), [(1.0, 1.0), (-1.0, -1.0)])
def test_beyond_the_upper_limit_the_error_pushing_further_is_not_integrated(
    error: float, kc: float
) -> None:
    pi = PI(0.9, 0.0, 1.0)
    assert pi.step(error, 1.0, kc=kc, ti_s=10.0) == 1.0
    assert pi.integral == 0.0


@pytest.mark.parametrize(("error", "kc"), [(-1.0, 1.0), (1.0, -1.0)])
def test_beyond_the_lower_limit_the_error_pushing_further_is_not_integrated(
    error: float, kc: float
) -> None:
    pi = PI(0.1, 0.0, 1.0)
    assert pi.step(error, 1.0, kc=kc, ti_s=10.0) == 0.0
    assert pi.integral == 0.0


def test_beyond_a_limit_an_error_pulling_back_is_integrated() -> None:
    # feed-forward above u_max: a small negative error leaves the output beyond the limit,
    # but it pulls back, so it counts (2 + 1·(−0.1 − 0.1 / 10) = 1.89 > 1)
    high = PI(2.0, 0.0, 1.0)
    assert high.step(-0.1, 1.0, kc=1.0, ti_s=10.0) == 1.0
    assert high.integral == pytest.approx(-0.1)
    low = PI(-1.0, 0.0, 1.0)  # and below u_min with a small positive error
    assert low.step(0.1, 1.0, kc=1.0, ti_s=10.0) == 0.0
    assert low.integral == pytest.approx(0.1)


def test_a_step_whose_integration_would_carry_the_output_over_the_limit_is_not_integrated() -> None:
    # with it: 0.5 + 1·(0.2 + 0.2·2 / 1) = 1.1 > u_max, so ∫ stays 0: u = 0.5 + 0.2 = 0.7
    pi = PI(0.5, 0.0, 1.0)
    assert pi.step(0.2, 2.0, kc=1.0, ti_s=1.0) == pytest.approx(0.7)
    assert pi.integral == 0.0
    low = PI(0.5, 0.0, 1.0)  # and the same below u_min
    assert low.step(-0.2, 2.0, kc=1.0, ti_s=1.0) == pytest.approx(0.3)
    assert low.integral == 0.0


@pytest.mark.parametrize(("u0", "limit"), [(2.0, 1.0), (-1.0, 0.0)])
def test_a_loop_without_gain_holds_its_feed_forward_and_keeps_integrating(
    u0: float, limit: float
) -> None:
    # Kc = 0: the error cannot push the output anywhere, so no limit stops the integral
    pi = PI(u0, 0.0, 1.0)
    assert pi.step(0.5, 2.0, kc=0.0, ti_s=10.0) == limit
    assert pi.integral == 1.0


@pytest.mark.parametrize(
    ("u", "saturated"),
    [(0.2, True), (0.2000001, False), (0.5, False), (0.7999999, False), (0.8, True)],
)
def test_saturated_at_either_limit_and_not_just_inside(u: float, saturated: bool) -> None:
    assert PI(0.5, 0.2, 0.8, u=u).saturated is saturated


# ------------------------------------------------------------------ ChannelDosing


def _acid_by_amount_dosing(acid_l_mu: float = 0.1) -> ChannelDosing:
    """The plan with the acid as an amount (1 L for 10 mu) instead of L/m³."""
    acid = ChannelDose.model_validate({"channel": "acid", "l_mu": acid_l_mu})
    return dosing(recipe=RECIPE.model_copy(update={"doses": [*RECIPE.doses[:2], acid]}))


def test_a_channel_whose_amount_is_given_stays_off_while_the_others_go_on() -> None:
    d = _acid_by_amount_dosing()  # acid: 1 L, 0.2 L/m³ planned; pH high, the loop gives more
    i = 0
    while not d.channels["acid"].done:
        rates = d.step(1.0, ok(ph=6.8 + 0.01 * (i % 2)))
        i += 1
    assert d.channels["acid"].given_l == pytest.approx(1.0, abs=1e-9)
    on_s = d.channels["acid"].on_s
    assert i < 1800 and on_s == i  # before the fertilizers' end
    for _ in range(5):
        rates = d.step(1.0, ok(ph=6.8 + 0.01 * (i % 2)))
        i += 1
        assert rates["acid"] == 0.0 and rates["N"] > 0 and rates["K"] > 0
    assert d.channels["acid"].on_s == on_s and d.channels["acid"].rate_l_h == 0.0


def test_a_rate_below_one_litre_an_hour_is_given_as_asked() -> None:
    d = dosing()
    rates = d.step(1.0, ok(flow_m3_h=1.0))  # acid 0.2 L/m³ at 1 m³/h
    assert rates["acid"] == pytest.approx(0.2)
    assert d.channels["acid"].given_l == pytest.approx(0.2 / 3600)
    assert d.channels["acid"].on_s == 1.0  # its time on counts towards max_run_min


def test_what_is_given_is_rate_times_the_step_and_the_last_step_trimmed_to_the_litre() -> None:
    d = dosing()
    rates = d.step(1.0, ok())  # 40 L/h of N: 20 L in 1800 s
    assert rates["N"] == pytest.approx(40.0)
    assert d.channels["N"].given_l == pytest.approx(40.0 / 3600, rel=1e-12)
    for _ in range(899):  # then steps of 2 s: 1799 s, 1 s of N left
        d.step(2.0, ok())
    assert d.channels["N"].given_l == pytest.approx(20.0 - 40.0 / 3600)
    rates = d.step(2.0, ok())
    assert rates["N"] == pytest.approx(20.0)  # what is left, given over the 2 s
    assert d.channels["N"].given_l == pytest.approx(20.0, abs=1e-9)


def test_after_a_stop_every_channel_reads_off() -> None:
    d = dosing()
    d.step(1.0, ok())
    assert all(ch.rate_l_h > 0 for ch in d.channels.values())
    d.step(1.0, ok(levels_m={"N": 0.05}))
    assert d.stopped is not None
    assert {n: ch.rate_l_h for n, ch in d.channels.items()} == {"N": 0.0, "K": 0.0, "acid": 0.0}


def test_no_flow_from_the_start_ends_dosing_after_the_hold_naming_it() -> None:
    d = dosing()
    for _ in range(int(NO_FLOW_HOLD_S) - 1):
        d.step(1.0, ok(flow_m3_h=0.0))
    assert d.stopped is None
    d.step(1.0, ok(flow_m3_h=0.0))
    assert d.stopped == DosingStop("inject_no_flow", "no water flow for 60 s while dosing")


HOLD_S = 100 / (10 / 3.6) + 3 * 10  # θ + 3τ at 10 m³/h: 36 + 30 = 66 s


def test_after_water_stood_the_loops_hold_for_the_whole_line_again() -> None:
    d = dosing()
    for _ in range(10):
        d.step(1.0, ok())
    d.step(1.0, ok(pump_on=False))
    for _ in range(int(HOLD_S) - 1):  # the probe reads low EC: held on feed-forward
        assert d.step(1.0, ok(ec_ms_cm=1.0))["N"] == pytest.approx(40.0)
    assert not d.settled(10.0)
    assert d.step(1.0, ok(ec_ms_cm=1.0))["N"] > 40.0  # held 66 s: the loop acts
    for _ in range(2 * 10 - 1):  # 2τ more to count the band
        d.step(1.0, ok(ec_ms_cm=1.0))
    assert not d.settled(10.0)
    d.step(1.0, ok(ec_ms_cm=1.0))
    assert d.settled(10.0)


def test_the_record_gives_litres_kg_goal_and_time_on_of_each_channel() -> None:
    d = dosing()
    for _ in range(90):
        d.step(1.0, ok())
    assert d.record() == {
        "N": {"given_l": 1.0, "target_l": pytest.approx(20.0), "kg": 0.5, "on_s": 90.0},
        "K": {"given_l": 1.0, "target_l": pytest.approx(20.0), "kg": 0.25, "on_s": 90.0},
        "acid": {"given_l": 0.05, "target_l": None, "kg": None, "on_s": 90.0},
    }


def test_the_record_rounds_to_a_tenth_of_a_millilitre() -> None:
    d = dosing()
    d.step(1.0, ok(flow_m3_h=0.6))  # N: 4 L/m³ × 0.6 m³/h for 1 s = 0.6667 mL
    rec = d.record()
    assert (rec["N"]["given_l"], rec["N"]["kg"]) == (0.0007, 0.0003)


def test_a_new_setpoint_is_followed_from_now_and_its_band_counted_afresh() -> None:
    d = dosing(inject_s=3600)
    settle = int(HOLD_S) + 2 * 10
    for _ in range(settle + 100):  # settled, 100 s out of band (EC 1.5 ± 0.4)
        d.step(1.0, ok(ec_ms_cm=2.0))
    assert d.stopped is None
    d.retarget(2.6, 6.0)
    assert (d.plan.ec_ms_cm, d.plan.ph) == (2.6, 6.0)
    for _ in range(int(LOOP.out_of_band_s) - 1):  # 2.0 is out of 2.6's band too: from 0 s
        d.step(1.0, ok(ec_ms_cm=2.0, ph=6.0))
    assert d.stopped is None
    assert d.ec_pi.u > 1.0  # below the new setpoint: more
    d.step(1.0, ok(ec_ms_cm=2.0, ph=6.0))
    assert d.stopped is not None and d.stopped.code == "ec_off_setpoint"
    assert d.stopped.message == "EC 2.00 mS/cm further than 0.4 from 2.6 for 120 s"


def _settle(d: ChannelDosing, **values: object) -> None:
    """Steps of 1 s at 10 m³/h until the loops act (θ + 3τ held)."""
    for _ in range(int(HOLD_S)):
        d.step(1.0, ok(**values))


def _simc_at(k: float, flow_m3_h: float, tauc_of_theta: float) -> tuple[float, float]:
    theta_s = LOOP.line_volume_l / (flow_m3_h / 3.6)  # the line's dead time V / Q
    return simc(k, LOOP.mixing_tau_s, theta_s, tauc_of_theta * theta_s)


@pytest.mark.parametrize("flow_m3_h", [10.0, 4.0])
def test_the_ec_loop_is_tuned_by_simc_for_the_lines_dead_time(flow_m3_h: float) -> None:
    d = dosing()
    for _ in range(200):  # held longer at the lower flow: run well past θ + 3τ
        d.step(1.0, ok(flow_m3_h=flow_m3_h))
    assert d.ec_pi.u == 1.0  # at the setpoint: the plan
    rates = d.step(1.0, ok(flow_m3_h=flow_m3_h, ec_ms_cm=1.4))
    kc, ti = _simc_at(1.5 - 0.5, flow_m3_h, 1.0)  # k: EC per unit of scale; τc = θ
    scale = 1.0 + kc * (0.1 + 0.1 * 1.0 / ti)
    assert d.ec_pi.u == pytest.approx(scale, rel=1e-12)
    assert rates["N"] == pytest.approx(4.0 * flow_m3_h * scale, rel=1e-12)


@pytest.mark.parametrize(("source_ph", "k"), [(8.0, (8.0 - 6.3) / 0.2), (6.31, 0.1)])
def test_the_ph_loop_is_tuned_by_simc_on_the_titration_slope(source_ph: float, k: float) -> None:
    # the slope from the source water to the setpoint per L/m³ of the plan, at least 0.1
    d = dosing(loop=LOOP.model_copy(update={"source_ph": source_ph}))
    for _ in range(200):  # well past θ + 3τ at 4 m³/h
        d.step(1.0, ok(flow_m3_h=4.0))
    assert d.ph_pi.u == 0.2  # at the setpoint: the plan
    rates = d.step(1.0, ok(flow_m3_h=4.0, ph=6.5))
    kc, ti = _simc_at(k, 4.0, 2.0)  # τc = 2θ: the slope is steeper near the setpoint
    acid_l_m3 = 0.2 + kc * (0.2 + 0.2 * 1.0 / ti)
    assert d.ph_pi.u == pytest.approx(acid_l_m3, rel=1e-12)
    assert rates["acid"] == pytest.approx(acid_l_m3 * 4.0, rel=1e-12)


@pytest.mark.parametrize("missing", ["ec_ms_cm", "ph"])
def test_a_reading_missing_for_a_moment_holds_its_loop(missing: str) -> None:
    d = dosing()
    _settle(d, ec_ms_cm=1.4, ph=6.5)
    before = (d.ec_pi.u, d.ph_pi.u)
    for _ in range(3):
        d.step(1.0, ok(**{"ec_ms_cm": 1.4, "ph": 6.5, missing: None}))
    after = (d.ec_pi.u, d.ph_pi.u)
    held = 0 if missing == "ec_ms_cm" else 1
    assert after[held] == before[held] and after[1 - held] != before[1 - held]
    assert d.stopped is None


@pytest.mark.parametrize(
    ("ph", "loop"),
    [(None, LOOP), (6.3, LOOP.model_copy(update={"source_ph": None}))],
)
def test_without_a_ph_setpoint_or_source_ph_the_acid_follows_the_plan(
    ph: float | None, loop: DosingLoopConfig
) -> None:
    d = dosing(loop=loop, recipe=RECIPE.model_copy(update={"ph": ph}))
    for i in range(200):
        rates = d.step(1.0, ok(ph=6.8 + 0.01 * (i % 2)))
        assert rates["acid"] == pytest.approx(0.2 * 10.0)


# ------------------------------------------------------------------ the stops' bounds


def _with_k_tank(area_m2: float) -> list[ChannelConfig]:
    """N (tank of 0.5 m²), K with a level transmitter on a tank of ``area_m2``, acid."""
    n, k, acid = channel_configs()
    k = k.model_copy(update={"tank_level": "tk", "tank_area_m2": area_m2, "low_level_m": 0.0})
    return [n, k, acid]


def _delivery_trip(
    d: ChannelDosing, dt_s: float, steps: int, share: list[float], n_level: float | None
) -> tuple[int | None, list[float]]:
    """Step ``d`` with K's tank falling ``share[i]`` of what step i gave; the step that
    stopped dosing (1-based) and the levels read."""
    level, seen = 0.5, []
    area = d.channels["K"].target.tank_area_m2
    assert area is not None
    for i in range(steps):
        levels = {"K": level} if n_level is None else {"N": n_level, "K": level}
        seen.append(level)
        d.step(dt_s, ok(levels_m=levels))
        if d.stopped is not None:
            return i + 1, seen
        level -= share[i] * d.channels["K"].rate_l_h * dt_s / 3600 / 1000 / area
    return None, seen


@pytest.mark.parametrize("n_level", [None, 0.8])  # N's tank not read, or read and not due
def test_a_clogged_injector_is_judged_at_delivery_check_s_not_a_second_before(
    n_level: float | None,
) -> None:
    # K: 40 L/h into 0.01 m²: 20 mm expected after 18 s, so the time decides. N's tank,
    # 0.5 m², expects 1.3 mm in 60 s: too little to judge, it is passed over.
    loop = LOOP.model_copy(update={"delivery_check_s": 60.0})
    d = dosing(loop=loop, channels=_with_k_tank(0.01))
    stopped_at, _ = _delivery_trip(d, 1.0, 100, [0.0] * 100, n_level)
    assert stopped_at == 61  # the window opens at 1 s; judged once 60 s passed
    assert d.stopped == DosingStop(
        "injector_delivery_low", "channel K: tank fell 0 mm, 67 mm was given", "K"
    )


def test_each_window_of_the_delivery_check_starts_where_the_last_was_judged() -> None:
    loop = LOOP.model_copy(update={"delivery_check_s": 60.0})
    fine = dosing(loop=loop, channels=_with_k_tank(0.01))
    assert _delivery_trip(fine, 1.0, 300, [0.6] * 300, 0.8)[0] is None  # 60 %, window after window
    d = dosing(loop=loop, channels=_with_k_tank(0.01))
    stopped_at, _ = _delivery_trip(d, 1.0, 300, [0.6] * 60 + [0.4] * 240, 0.8)
    assert stopped_at == 121  # the second window, from 61 s: judged at 121 s


def test_a_delivery_window_is_judged_once_exactly_the_minimum_drop_is_expected() -> None:
    # steps of 90 s at 40 L/h give 1 L each: 1 L from a 0.05 m² tank is exactly 20 mm
    loop = LOOP.model_copy(update={"delivery_check_s": 90.0})
    d = dosing(loop=loop, channels=_with_k_tank(0.05))
    stopped_at, _ = _delivery_trip(d, 90.0, 5, [0.0] * 5, None)
    assert stopped_at == 2
    assert d.stopped is not None and d.stopped.message.endswith("20 mm was given")


def test_a_tank_that_fell_exactly_half_what_was_given_is_not_a_clogged_injector() -> None:
    loop = LOOP.model_copy(update={"delivery_check_s": 90.0})
    d = dosing(loop=loop, channels=_with_k_tank(0.05))
    d.step(90.0, ok(levels_m={"K": 0.02}))  # the window opens at 0.02 m; 1 L given
    d.step(90.0, ok(levels_m={"K": 0.01}))  # 10 mm of the 20 mm: exactly half
    assert 0.02 - 0.01 == 0.5 * (1.0 / 1000 / 0.05)  # the bound, exact in binary
    assert d.stopped is None
    d.step(90.0, ok(levels_m={"K": 0.01}))  # then nothing of the next 1 L
    assert d.stopped is not None and d.stopped.code == "injector_delivery_low"


@pytest.mark.parametrize(("fell_mm", "stops"), [(9.995, True), (10.005, False)])
def test_a_clogged_injector_just_under_and_just_over_half(fell_mm: float, stops: bool) -> None:
    loop = LOOP.model_copy(update={"delivery_check_s": 90.0})
    d = dosing(loop=loop, channels=_with_k_tank(0.05))
    d.step(90.0, ok(levels_m={"K": 0.5}))
    d.step(90.0, ok(levels_m={"K": 0.5 - fell_mm / 1000}))  # of 20 mm given
    assert (d.stopped is not None) is stops


def test_a_clogged_injector_names_what_fell_and_what_was_given_in_mm() -> None:
    loop = LOOP.model_copy(update={"delivery_check_s": 90.0})
    d = dosing(loop=loop, channels=_with_k_tank(1.0 / 1000 / 0.03049))  # 1 L: 30.49 mm
    d.step(90.0, ok(levels_m={"K": 0.5}))
    d.step(90.0, ok(levels_m={"K": 0.5 - 0.01249}))
    assert d.stopped == DosingStop(
        "injector_delivery_low", "channel K: tank fell 12 mm, 30 mm was given", "K"
    )


def test_the_max_time_stop_names_the_channel_and_its_minutes() -> None:
    d = dosing(channels=[c.model_copy(update={"max_run_min": 10.0}) for c in channel_configs()])
    for _ in range(601):
        d.step(1.0, ok())
    assert d.stopped == DosingStop(
        "dosing_max_time", "channel N: dosed 10.0 min, max_run_min 10", "N"
    )


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ({"ec_ms_cm": None}, "EC"),
        ({"ph": None}, "pH"),
        ({"ec_ms_cm": None, "ph": None}, "EC and pH"),
    ],
)
def test_a_stale_meter_is_named(missing: dict[str, None], named: str) -> None:
    d = dosing()
    for _ in range(10):
        d.step(1.0, ok(**missing))
    assert d.stopped == DosingStop("ec_meter_stale", f"{named} not read for 10 s")


def test_a_meter_read_again_before_its_hold_starts_the_count_afresh() -> None:
    d = dosing()
    for _ in range(2):
        for _ in range(int(STALE_HOLD_S) - 1):
            d.step(1.0, ok(ph=None))
        d.step(1.0, ok())  # read fresh: the next silence counts from 0 s
    assert d.stopped is None


SETTLED_S = int(HOLD_S) + 2 * 10  # θ + 3τ, then 2τ: the band counts from here


def _out_of_band_for(d: ChannelDosing, seconds: int, **values: object) -> None:
    for _ in range(seconds):
        d.step(1.0, ok(**values))


def test_a_reading_back_in_band_starts_the_out_of_band_count_afresh() -> None:
    d = dosing(inject_s=3600)
    _out_of_band_for(d, SETTLED_S)
    for _ in range(2):
        _out_of_band_for(d, int(LOOP.out_of_band_s) - 1, ec_ms_cm=2.0)
        d.step(1.0, ok())
    assert d.stopped is None


@pytest.mark.parametrize(("ec_ms_cm", "stops"), [(1.99, False), (2.0, False), (2.01, True)])
def test_ec_exactly_its_band_away_is_in_band(ec_ms_cm: float, stops: bool) -> None:
    d = dosing(inject_s=3600, loop=LOOP.model_copy(update={"ec_band_ms_cm": 0.5}))
    _out_of_band_for(d, SETTLED_S + 2 * int(LOOP.out_of_band_s), ec_ms_cm=ec_ms_cm)
    assert (d.stopped is not None) is stops  # 1.5 + 0.5: exact in binary


def test_a_reading_missing_once_settled_neither_counts_nor_trips_the_band() -> None:
    d = dosing(inject_s=3600)
    i = 0
    while d.stopped is None and i < 1000:
        missing = SETTLED_S + 30 <= i < SETTLED_S + 35  # 5 s, under STALE_HOLD_S
        d.step(1.0, ok(ec_ms_cm=None if missing else 2.0))
        i += 1
    assert d.stopped is not None and d.stopped.code == "ec_off_setpoint"
    assert i == SETTLED_S + int(LOOP.out_of_band_s) - 1 + 5  # 5 s later than without


def test_without_an_ec_setpoint_the_ph_band_still_stops_dosing() -> None:
    d = dosing(inject_s=3600, recipe=RECIPE.model_copy(update={"ec_ms_cm": None}))
    i = 0
    while d.stopped is None and i < 1000:
        d.step(1.0, ok(ph=7.0 + 0.01 * (i % 2)))  # 0.7 above 6.3, the band 0.6
        i += 1
    assert i == SETTLED_S + int(LOOP.out_of_band_s) - 1
    assert d.stopped is not None and d.stopped.code == "ph_off_setpoint"
    assert re.fullmatch(r"pH 7\.0[01] further than 0\.6 from 6\.3 for 120 s", d.stopped.message)


def _stuck_at(d: ChannelDosing, ph: float) -> int | None:
    for i in range(400):
        d.step(1.0, ok(ph=ph))
        if d.stopped is not None:
            return i + 1
    return None


def test_a_stuck_ph_probe_is_judged_once_the_window_spans_ph_stuck_s() -> None:
    # pH 1.2 high: the acid has moved its 20 % by about 87 s; the window, from 1 s,
    # spans 99 % of 100 s at 100 s
    d = dosing(inject_s=3600, loop=LOOP.model_copy(update={"ph_stuck_s": 100.0}))
    assert _stuck_at(d, 7.5) == 100
    assert d.stopped is not None
    assert (d.stopped.code, d.stopped.channel) == ("ph_probe_stuck", "acid")
    assert re.fullmatch(
        r"pH read 7\.50 for 100 s while the acid moved \d+% of its plan", d.stopped.message
    )


def test_a_ph_reading_missing_once_the_window_is_full_is_left_out_of_it() -> None:
    d = dosing(inject_s=3600)
    for i in range(int(LOOP.ph_stuck_s) + 20):
        d.step(1.0, ok(ph=6.3 + 0.01 * (i % 2)))
    for _ in range(5):
        d.step(1.0, ok(ph=None))
    assert d.stopped is None


def test_a_ph_setpoint_without_an_acid_channel_doses_the_fertilizers_alone() -> None:
    n, k, _ = channel_configs()
    recipe = RECIPE.model_copy(update={"doses": RECIPE.doses[:2]})
    d = dosing(recipe=recipe, channels=[n, k])
    for _ in range(int(LOOP.ph_stuck_s) + 60):
        rates = d.step(1.0, ok(ph=6.3))
    assert d.stopped is None and rates == {"N": pytest.approx(40.0), "K": pytest.approx(40.0)}


# ------------------------------------------------------------------ the rates


def _recipe(**doses: dict[str, float]) -> DosingRecipe:
    return RECIPE.model_copy(
        update={
            "doses": [ChannelDose.model_validate({"channel": c, **d}) for c, d in doses.items()]
        }
    )


def test_the_fertilizer_at_its_max_rate_slows_the_others_by_its_own_share() -> None:
    # N 4 L/m³ and K 2 L/m³ at 40 m³/h want 160 and 80 L/h; N's 100 L/h is 5/8 of its want
    recipe = _recipe(N={"kg_mu": 1.0}, K={"l_mu": 1.0}, acid={"l_m3": 0.2})
    rates = dosing(recipe=recipe).step(1.0, ok(flow_m3_h=40.0))
    assert rates == {
        "N": pytest.approx(100.0),
        "K": pytest.approx(80.0 * 100 / 160),
        "acid": pytest.approx(0.2 * 40),
    }


def test_the_acid_at_its_max_rate_slows_no_fertilizer() -> None:
    n, k, acid = channel_configs()
    d = dosing(channels=[n, k, acid.model_copy(update={"max_rate_l_h": 1.0})])
    rates = d.step(1.0, ok())  # the acid wants 0.2 L/m³ × 10 m³/h = 2 L/h
    assert rates == {"N": pytest.approx(40.0), "K": pytest.approx(40.0), "acid": 1.0}


def test_a_fertilizer_limit_below_one_litre_an_hour_still_slows_the_others() -> None:
    n, k, acid = channel_configs()
    channels = [n.model_copy(update={"max_rate_l_h": 0.5}), k, acid]
    recipe = _recipe(N={"l_m3": 0.1}, K={"l_m3": 0.1}, acid={"l_m3": 0.2})
    rates = dosing(recipe=recipe, channels=channels).step(1.0, ok(flow_m3_h=8.0))
    assert rates["N"] == pytest.approx(0.5) and rates["K"] == pytest.approx(0.5)  # of 0.8


def test_an_acid_only_recipe_doses_the_acid() -> None:
    d = dosing(recipe=_recipe(acid={"l_m3": 0.2}))
    assert d.step(1.0, ok()) == {"acid": pytest.approx(2.0)}


@pytest.mark.parametrize(("flow_m3_h", "doses"), [(0.5, True), (0.4999, False)])
def test_dosing_goes_on_at_exactly_the_no_flow_limit(flow_m3_h: float, doses: bool) -> None:
    rates = dosing().step(1.0, ok(flow_m3_h=flow_m3_h))
    assert (rates["N"] > 0) is doses


def test_the_ph_loop_holds_the_plan_while_the_line_carries_water_the_dose_has_not_reached() -> None:
    d = dosing()
    for _ in range(int(HOLD_S) - 1):
        assert d.step(1.0, ok(ph=6.8))["acid"] == pytest.approx(0.2 * 10)
    assert d.step(1.0, ok(ph=6.8))["acid"] > 0.2 * 10


def test_the_stuck_probe_names_the_last_reading() -> None:
    # the last reading, within the spread of the others, rounds apart from them
    d = dosing(inject_s=3600, loop=LOOP.model_copy(update={"ph_stuck_s": 100.0}))
    for _ in range(99):
        d.step(1.0, ok(ph=7.4948))
    assert d.stopped is None
    d.step(1.0, ok(ph=7.4955))
    assert d.stopped is not None
    assert d.stopped.message.startswith("pH read 7.50 for 100 s")  # not 7.49


def test_the_plan_carries_each_channels_limits_and_marks_a_tank_without_a_transmitter() -> None:
    n, k, acid = (dosing().channels[x].target for x in ("N", "K", "acid"))
    assert (n.kind, n.stock_kg_l, n.max_rate_l_h, n.max_run_s) == ("fertilizer", 0.5, 100.0, 3600)
    assert (n.low_level_m, n.tank_area_m2) == (0.1, 0.5)
    assert (k.stock_kg_l, k.tank_area_m2) == (0.25, None)
    assert k.low_level_m < 0 and acid.low_level_m < 0  # no level transmitter: never low
    assert acid.kind == "acid"


def test_a_low_tank_names_its_level_and_limit() -> None:
    d = dosing()
    d.step(1.0, ok(levels_m={"N": 0.085}))
    assert d.stopped == DosingStop("tank_low", "channel N: tank at 0.085 m < 0.1 m", "N")


def test_the_inject_phase_ends_after_exactly_inject_s() -> None:
    d = dosing(inject_s=60, recipe=_recipe(N={"l_m3": 4.0}, acid={"l_m3": 0.2}))
    for _ in range(60):
        assert d.step(1.0, ok())["N"] == pytest.approx(40.0)
    assert d.done and d.step(1.0, ok()) == {"N": 0.0, "acid": 0.0}


def test_a_new_ph_setpoint_counts_its_band_afresh() -> None:
    d = dosing(inject_s=3600)
    ph = [7.0 + 0.01 * (i % 2) for i in range(1000)]  # moving: not a stuck probe
    for i in range(SETTLED_S + 100):  # 0.7 above 6.3 for 100 s, the band 0.6
        d.step(1.0, ok(ph=ph[i]))
    d.retarget(1.5, 6.2)  # still out of band, now from 0 s
    for i in range(int(LOOP.out_of_band_s) - 1):
        d.step(1.0, ok(ph=ph[i]))
    assert d.stopped is None
    d.step(1.0, ok(ph=7.0))
    assert d.stopped is not None and d.stopped.code == "ph_off_setpoint"
    assert d.stopped.message == "pH 7.00 further than 0.6 from 6.2 for 120 s"
