"""The PI loop and the dosing channels at, just under and just over each of their bounds:
SIMC's guards and both branches of τI, conditional integration on each side of each limit,
and every stop of :class:`ChannelDosing` at the step it must come (and not one before)."""

from __future__ import annotations

import pytest

from controller.runtime.piloop import PI, simc

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
