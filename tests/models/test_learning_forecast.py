"""The learned moisture forecast on synthetic seasons whose answers are known."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random
from pathlib import Path

import numpy as np
import pytest

from models.learning import (
    LearningInputError,
    Persisted,
    TooLittleDataError,
    load_model,
    save_model,
)
from models.learning.forecast import (
    FORMAT_VERSION,
    KIND,
    MIN_SAMPLES,
    VALIDATION_FRACTION,
    FutureDay,
    HistoryDay,
    Validation,
    _margin_mm,
    observed_change_target,
    physics_path,
    train_forecast,
)

TAW, RAW = 120.0, 60.0


def _et0(i: int) -> float:
    return 4.0 + 2.0 * ((i * 7) % 5) / 4.0  # 4-6 mm/day, varying


def season(
    days: int,
    *,
    rate: float = 1.0,
    offset_mm: float = 0.0,
    noise_mm: float = 0.5,
    seed: int = 1,
    observed_on: object = None,
) -> list[HistoryDay]:
    """A zone refilled to field capacity (a heavy run, net water = TAW, clamped) when its
    balance reaches RAW. The balance steps FAO-56 with Kc; the truth depletes ``rate`` times as
    fast, and the probes read it ``offset_mm`` drier (a true field capacity below the
    configured one), with reading noise. ``observed_on(i)`` says which days have probes."""
    rng = random.Random(seed)
    dr = truth = 20.0
    water = 0.0
    out: list[HistoryDay] = []
    for i in range(days):
        et0, kc = _et0(i), 0.9
        dr = physics_path(dr, TAW, RAW, [FutureDay(et0, 0.0, water, kc)])[0]
        truth = min(max(truth - water + rate * kc * et0, 0.0), TAW)
        seen = observed_on is None or observed_on(i)  # type: ignore[operator]
        observed = truth + offset_mm + rng.gauss(0, noise_mm) if seen else None
        out.append(HistoryDay(dr, TAW, RAW, observed, et0, 0.0, water, kc, i))
        water = TAW if dr >= RAW else 0.0
    return out


def mae_24h(history: list[HistoryDay], cut: int) -> tuple[float, float]:
    """Train on ``history[:cut]``, score the 24 h forecast on the rest's days without a
    refill (the path the planner asks for) against the balance's depletion plus the probes'
    change over the day: (physics, used)."""
    model = train_forecast(history[:cut])
    phys, used = [], []
    for i in range(cut, len(history) - 1):
        now, then = history[i].observed_mm, history[i + 1].observed_mm
        if now is None or then is None or history[i + 1].water_mm > 0.0:
            continue
        target = observed_change_target(history[i].dr_mm, now, then)
        nxt = history[i + 1 : i + 4]
        ahead = [FutureDay(d.et0_mm, d.rain_mm, d.water_mm, d.kc) for d in nxt]
        ahead += [ahead[-1]] * (3 - len(ahead))
        result = model.predict(history[: i + 1], ahead)
        phys.append(abs(result.physics_mm[0] - target))
        used.append(abs(result.chosen_mm[0] - target))
    return sum(phys) / len(phys), sum(used) / len(used)


def test_physics_path_follows_fao56_with_stress_and_clamps() -> None:
    path = physics_path(58.0, TAW, RAW, [FutureDay(5.0, kc=1.0)] * 3)
    assert path[0] == pytest.approx(63.0)  # Ks = 1 below RAW
    # above RAW, Ks = (TAW − Dr) / (TAW − RAW) = (120 − 63) / 60
    assert path[1] == pytest.approx(63.0 + 5.0 * 57.0 / 60.0)
    assert physics_path(10.0, TAW, RAW, [FutureDay(5.0, 30.0, 0.0, 1.0)]) == [0.0]


def after_first_refill(history: list[HistoryDay], cut: int) -> int:
    """The first day from ``cut`` on with a refill: the balance's Dr is 0 at its end."""
    return next(i for i in range(cut, len(history)) if history[i].water_mm > 0.0)


def test_probes_reading_drier_than_the_configured_soil_do_not_move_the_forecast() -> None:
    """The true field capacity is 30 mm below the configured one: right after a refill the
    probes read 30 mm of depletion where the balance has 0. The forecast learns the change
    the probes see, which is the balance's here, so it stays on the balance's depletion
    (FAO-56 + 0.9 · 5 mm/day), not 30 mm above it."""
    history = season(150, offset_mm=30.0)
    model = train_forecast(history[:100])
    i = after_first_refill(history, 100)
    assert history[i].dr_mm == 0.0 and history[i].observed_mm == pytest.approx(30.0, abs=2.0)
    result = model.predict(history[: i + 1], [FutureDay(5.0, kc=0.9)] * 3)
    assert result.physics_mm == pytest.approx((4.5, 9.0, 13.5))
    assert result.learned_mm == pytest.approx(result.physics_mm, abs=1.5)


def test_a_faster_drying_is_learned_and_added_to_the_balance() -> None:
    """The soil dries 1.3 times as fast as the balance says and the probes read 12 mm drier:
    the learned 24-72 h forecast after a refill is 1.3 times FAO-56's drying from the
    balance's 0 (5.85, 11.7, 17.55 mm), not the probes' 12 mm offset on top."""
    history = season(150, rate=1.3, offset_mm=12.0)
    model = train_forecast(history[:100])
    assert model.use_learned
    v = model.validation[0]
    assert v.learned_mae_mm < 0.5 * v.physics_mae_mm
    physics, used = mae_24h(history, 100)
    assert physics > 1.0  # 0.3 · 0.9 · 4-6 mm/day missed each day
    assert used < 0.5 * physics
    i = after_first_refill(history, 100)
    result = model.predict(history[: i + 1], [FutureDay(5.0, kc=0.9)] * 3)
    assert result.learned_mm == pytest.approx((5.85, 11.7, 17.55), abs=1.0)


def test_on_unbiased_data_it_is_not_used_or_no_worse() -> None:
    history = season(150, noise_mm=1.0, seed=3)
    model = train_forecast(history[:100])
    physics, used = mae_24h(history, 100)
    assert used <= 1.05 * physics
    if not model.use_learned:
        assert used == pytest.approx(physics)


def test_validation_is_time_ordered_no_leakage() -> None:
    """The soil dries 1.6 times as fast as the balance says until the validation period and
    as fast after; nothing in the features tells the two periods apart. A time-ordered
    validation (each block fitted on the days before it) sees that the correction no longer
    holds; a shuffled one would mix both periods and find it better than physics."""
    days = 100
    cut = int(days * (1.0 - VALIDATION_FRACTION))
    history = season(days, rate=1.6, noise_mm=0.3)[:cut] + season(days, noise_mm=0.3)[cut:]
    model = train_forecast(history)
    v = model.validation[0]
    assert v.physics_mae_mm < 1.0  # scored on the late days only: physics is right there
    assert v.learned_mae_mm > v.physics_mae_mm + v.margin_mm  # the early rate does not hold
    assert not model.use_learned
    # purged: no first-fold training sample's target lies in the validation period; days
    # 0..cut-2, each with its next day observed, but for those whose next day is a refill
    refills = sum(1 for i in range(1, cut) if history[i].water_mm > 0.0)
    assert refills > 0 and v.n_train == cut - 1 - refills


def test_a_day_without_probes_gives_no_sample_either_side() -> None:
    """A sample needs the probes at both ends: the change is what is learned."""
    every_day = train_forecast(season(150))
    odd_days = season(150, observed_on=lambda i: i % 3 != 0)
    assert train_forecast(odd_days).validation[0].n_train < every_day.validation[0].n_train
    with pytest.raises(TooLittleDataError):
        train_forecast(season(60, observed_on=lambda i: i % 2 == 1))  # no two days in a row


def test_the_target_is_the_balance_plus_the_probes_change() -> None:
    assert observed_change_target(10.0, 40.0, 45.5) == pytest.approx(15.5)
    assert observed_change_target(0.0, 80.0, 81.0) == pytest.approx(1.0)


def test_too_little_data_is_said_with_how_much() -> None:
    with pytest.raises(TooLittleDataError) as err:
        train_forecast(season(10))
    assert err.value.have == 9 and err.value.need == MIN_SAMPLES


def test_bad_input_names_the_field() -> None:
    with pytest.raises(LearningInputError, match="et0_mm"):
        HistoryDay(10.0, TAW, RAW, None, float("nan"), 0.0, 0.0, 1.0, 3)
    model = train_forecast(season(60))
    with pytest.raises(LearningInputError, match="days ahead"):
        model.predict(season(5), [FutureDay(5.0)])


def test_persisted_model_forecasts_the_same(tmp_path: Path) -> None:
    history = season(80, rate=1.2)
    model = train_forecast(history)
    save_model(
        tmp_path,
        Persisted(KIND, "z1", FORMAT_VERSION, dt.datetime(2026, 7, 1, tzinfo=dt.UTC), 80, model),
    )
    back = load_model(tmp_path, KIND, "z1", FORMAT_VERSION).payload
    ahead = [FutureDay(5.0)] * 3
    assert back.predict(history, ahead) == model.predict(history, ahead)


@pytest.mark.parametrize("seed", [1, 4, 7, 8, 9])
def test_on_noisy_unbiased_probes_it_is_physics_exactly(seed: int) -> None:
    """The probes read the balance's own depletion with 3 mm of noise: nothing to learn. At no
    horizon does the learned forecast beat physics by its margin, and the forecast used is
    FAO-56's to the last digit. (A feature holding the probes' reading of the forecast day
    would let a fit anticipate that reading's noise in its own reference and win validation
    on these seeds.)"""
    history = season(150, noise_mm=3.0, seed=seed)
    model = train_forecast(history[:110])
    assert not model.use_learned
    for v in model.validation:
        assert v.physics_mae_mm - v.learned_mae_mm <= v.margin_mm
    result = model.predict(history[:120], [FutureDay(5.0, kc=0.9)] * 3)
    assert result.chosen_mm == result.physics_mm
    physics, used = mae_24h(history, 110)
    assert used == physics


def test_the_margin_is_two_standard_errors_of_independent_gains() -> None:
    """Day-by-day gains 0, 2, 0, 2, … (8 days): mean 1 mm, sd √(8/7) mm. At 24 h all 8 count,
    margin 2 · sd / √8 = 0.756 mm, and a 1 mm win is used; at 48 h only 4 count, margin
    2 · sd / √4 = 1.069 mm, and the same win is not."""
    gains = np.array([0.0, 2.0] * 4)
    sd = math.sqrt(8.0 / 7.0)
    assert _margin_mm(gains, 1) == pytest.approx(2.0 * sd / math.sqrt(8.0))
    assert _margin_mm(gains, 2) == pytest.approx(2.0 * sd / 2.0)
    won = Validation(1, 4.0, 5.0, 30, 8, _margin_mm(gains, 1))
    assert won.use_learned
    assert not dataclasses.replace(won, horizon_d=2, margin_mm=_margin_mm(gains, 2)).use_learned


def test_a_horizon_is_learned_only_with_every_shorter_one() -> None:
    """The soil dries 1.3 times as fast: every horizon validates better. With the 48 h one
    made a win within its margin, 24 h stays learned and 48 and 72 h are physics; with the
    24 h one so, all three are physics."""
    history = season(150, rate=1.3, offset_mm=12.0)
    model = train_forecast(history[:100])
    assert model.used_at == (True, True, True)
    v24, v48, v72 = model.validation
    within = dataclasses.replace(v48, learned_mae_mm=v48.physics_mae_mm - 0.5 * v48.margin_mm)
    cut = dataclasses.replace(model, validation=(v24, within, v72))
    assert cut.used_at == (True, False, False)
    result = cut.predict(history[:110], [FutureDay(5.0, kc=0.9)] * 3)
    assert result.chosen_mm == (result.learned_mm[0], *result.physics_mm[1:])
    within = dataclasses.replace(v24, learned_mae_mm=v24.physics_mae_mm)
    none = dataclasses.replace(model, validation=(within, v48, v72))
    assert none.used_at == (False, False, False) and not none.use_learned


def test_a_short_history_validates_on_the_blocks_it_can_fit() -> None:
    """36 days: before the first validation block (day 21) there are too few 72 h samples (a
    sample needs three days without a refill after it) to fit, so that block is skipped and the
    72 h forecast is validated on the later ones, fitted on the days before each."""
    history = season(36)
    first = int(len(history) * (1.0 - VALIDATION_FRACTION))
    before_first = sum(
        1 for i in range(first - 3) if all(d.water_mm == 0.0 for d in history[i + 1 : i + 4])
    )
    assert before_first < MIN_SAMPLES - 3
    v72 = train_forecast(history).validation[2]
    assert v72.n_train >= MIN_SAMPLES - 3 and v72.n_train > before_first
    assert v72.n_validation >= 6
