"""The learned moisture forecast on synthetic seasons whose answers are known."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

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
    FutureDay,
    HistoryDay,
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
    """A zone watered back to 0.15 TAW when its balance reaches RAW. The balance steps FAO-56
    with Kc; the truth (what the probes say) depletes ``rate`` times as fast and reads
    ``offset_mm`` drier, with reading noise. ``observed_on(i)`` says which days have probes."""
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
        water = dr - 0.15 * TAW if dr >= RAW else 0.0
    return out


def mae_24h(history: list[HistoryDay], cut: int) -> tuple[float, float]:
    """Train on ``history[:cut]``, score the 24 h forecast on the rest: (physics, used)."""
    model = train_forecast(history[:cut])
    phys, used = [], []
    for i in range(cut, len(history) - 1):
        target = history[i + 1].observed_mm
        if target is None:
            continue
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


def test_a_known_bias_is_learned_and_removed() -> None:
    history = season(150, rate=1.3, offset_mm=12.0)
    model = train_forecast(history[:100])
    assert model.use_learned
    v = model.validation[0]
    assert v.learned_mae_mm < 0.5 * v.physics_mae_mm
    physics, used = mae_24h(history, 100)
    assert physics > 8.0  # the bias is there
    assert used < 0.4 * physics  # and the learned forecast removes most of it


def test_on_unbiased_data_it_is_not_used_or_no_worse() -> None:
    history = season(150, noise_mm=1.0, seed=3)
    model = train_forecast(history[:100])
    physics, used = mae_24h(history, 100)
    assert used <= 1.05 * physics
    if not model.use_learned:
        assert used == pytest.approx(physics)


def test_validation_is_time_ordered_no_leakage() -> None:
    """The probes read 20 mm dry in the first 70 % of the days and true after; only every
    other day is observed, so the 24 h samples cannot see the gap in their features. A time-
    ordered validation (the last 30 %) sees that the correction no longer holds; a shuffled
    one would mix both periods and find it better than physics."""
    days = 100

    def odd(i: int) -> bool:
        return i % 2 == 1

    early = season(days, offset_mm=20.0, noise_mm=0.3, observed_on=odd)
    late = season(days, offset_mm=0.0, noise_mm=0.3, observed_on=odd)
    cut = int(days * 0.7)
    history = early[:cut] + late[cut:]
    model = train_forecast(history)
    v = model.validation[0]
    assert v.physics_mae_mm < 3.0  # scored on the late days only: physics is right there
    assert v.learned_mae_mm > 10.0  # the early days' +20 mm does not carry over
    assert not model.use_learned
    # purged: no training sample's target lies in the validation period
    assert v.n_train == cut // 2  # days 0..68 whose (odd) next day is observed


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
