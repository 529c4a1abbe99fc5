"""Flow signatures against synthetic runs with known answers (models/learning/flow.py)."""

from __future__ import annotations

import pickle
import random

import numpy as np
import pytest

from models.learning import LearningInputError, TooLittleDataError
from models.learning.flow import (
    PRESSURE_MIN_SPREAD_KPA,
    DriftState,
    FlowRun,
    FlowSignature,
    FlowTuning,
    fit_signature,
    fixed_verdict,
    step_drift,
)

TUNING = FlowTuning()
NORMAL_M3H = 3.1


def runs(n: int, seed: int = 1, *, sd: float = 0.015, start: int = 1) -> list[FlowRun]:
    """Normal runs: 3.1 m³/h with ``sd`` relative run-to-run noise, 40 s fill, 250 kPa."""
    rng = random.Random(seed)
    return [
        FlowRun(
            start + i,
            NORMAL_M3H * (1 + rng.gauss(0, sd)),
            40 + rng.gauss(0, 3),
            250 + rng.gauss(0, 4),
        )
        for i in range(n)
    ]


def feed(
    signature: FlowSignature, flows: list[FlowRun], state: DriftState | None = None
) -> list[tuple[int, str]]:
    """(index, kind) of each decided drift while feeding ``flows``."""
    state = state or DriftState()
    out = []
    for i, run in enumerate(flows):
        state, drift = step_drift(state, signature, run, TUNING)
        if drift is not None:
            out.append((i, drift.kind))
    return out


def scaled(flows: list[FlowRun], factor: float) -> list[FlowRun]:
    return [FlowRun(r.run_id, r.steady_m3h * factor, r.fill_s, r.pressure_kpa) for r in flows]


def test_the_normal_is_learned_from_the_zones_runs() -> None:
    sig = fit_signature(runs(20), TUNING)
    assert sig.normal_m3h == pytest.approx(NORMAL_M3H, rel=0.01)
    assert sig.fill_s == pytest.approx(40, abs=3)
    assert NORMAL_M3H * TUNING.min_sigma_pct / 100 <= sig.sigma_m3h < 0.1
    assert sig.n_runs == 20 and sig.last_run_id == 20


def test_an_odd_run_in_the_history_barely_moves_the_robust_normal() -> None:
    history = runs(20)
    history[5] = FlowRun(6, NORMAL_M3H * 0.3, 40, 250)  # stopped early: a third of its flow
    sig = fit_signature(history, TUNING)
    assert sig.normal_m3h == pytest.approx(NORMAL_M3H, rel=0.01)


def test_a_20_percent_clog_is_caught_within_two_runs() -> None:
    sig = fit_signature(runs(20), TUNING)
    decided = feed(sig, scaled(runs(4, seed=7, start=100), 0.8))
    assert decided and decided[0] == (1, "clog")


def test_a_10_percent_leak_is_caught_within_two_runs_and_called_a_leak() -> None:
    sig = fit_signature(runs(20), TUNING)
    state = DriftState()
    state, first = step_drift(state, sig, scaled(runs(1, seed=8, start=100), 1.1)[0], TUNING)
    assert first is None  # one run is never a drift
    state, second = step_drift(state, sig, scaled(runs(1, seed=9, start=101), 1.1)[0], TUNING)
    assert second is not None and second.kind == "leak" and second.runs == 2
    assert second.change_pct == pytest.approx(10, abs=3)
    assert 0.9 < second.confidence <= 0.999
    assert second.normal_m3h == pytest.approx(NORMAL_M3H, rel=0.01)


def test_noise_alone_does_not_alarm_over_many_runs() -> None:
    sig = fit_signature(runs(20), TUNING)
    assert feed(sig, runs(500, seed=3, start=100)) == []


def test_one_far_run_alone_does_not_alarm() -> None:
    sig = fit_signature(runs(20), TUNING)
    flows = runs(10, seed=4, start=100)
    flows[3] = FlowRun(103, NORMAL_M3H * 0.5, 40, 250)
    assert feed(sig, flows) == []


def test_pressure_explains_flow_when_it_varies() -> None:
    rng = random.Random(5)
    history = []
    for i in range(30):
        kpa = rng.uniform(200, 300)
        history.append(FlowRun(i + 1, 3.0 * (kpa / 250) ** 0.5, 40, kpa))
    sig = fit_signature(history, TUNING)
    assert sig.pressure_mean_kpa is not None
    assert sig.expected_m3h(290) > sig.expected_m3h(210)
    # a low-pressure run is normal for its pressure: no drift over many
    low = [FlowRun(100 + i, 3.0 * (205 / 250) ** 0.5, 40, 205) for i in range(10)]
    assert feed(sig, low) == []


def test_too_few_runs_leave_the_fixed_band_in_charge() -> None:
    with pytest.raises(TooLittleDataError) as few:
        fit_signature(runs(TUNING.min_runs - 1), TUNING)
    assert (few.value.have, few.value.need) == (TUNING.min_runs - 1, TUNING.min_runs)
    design = 3.0
    assert fixed_verdict([2.9, 3.1], design, TUNING) is None
    assert fixed_verdict([2.0], design, TUNING) is None  # one run is not enough
    clog = fixed_verdict([2.0, 2.1], design, TUNING)
    assert (
        clog is not None and clog.kind == "clog" and clog.change_pct == pytest.approx(31.7, abs=0.1)
    )
    leak = fixed_verdict([3.0, 4.0, 4.1], design, TUNING)
    assert leak is not None and leak.kind == "leak"
    assert fixed_verdict([2.0, 4.0], design, TUNING) is None  # not on the same side


def test_a_malformed_run_is_named() -> None:
    history = runs(10)
    history[2] = FlowRun(3, float("nan"), 40, 250)
    with pytest.raises(LearningInputError, match="run 3: steady_m3h") as bad:
        fit_signature(history, TUNING)
    assert bad.value.element == "steady_m3h"


def _sklearn_fit(history: list[FlowRun]) -> tuple[object, float | None, float]:
    """The fit as the signature held it before it kept plain numbers: the estimator itself,
    on the same standardized pressure column (the pressure's mean and sd, or None)."""
    from sklearn.linear_model import HuberRegressor

    known = np.array([r.pressure_kpa for r in history], dtype=float)
    use = bool(np.isfinite(known).all()) and float(np.ptp(known)) >= PRESSURE_MIN_SPREAD_KPA
    mean = float(known.mean()) if use else None
    sd = float(known.std()) if use and known.std() > 0 else 1.0
    x = ((known - mean) / sd).reshape(-1, 1) if mean is not None else np.zeros((len(known), 1))
    reg = HuberRegressor(epsilon=1.35, alpha=1e-3, max_iter=500).fit(
        x, [r.steady_m3h for r in history]
    )
    return reg, mean, sd


@pytest.mark.parametrize("pressure_spread_kpa", [0.0, 4.0, 40.0])
def test_plain_numbers_judge_every_run_as_the_estimator_did_bit_for_bit(
    pressure_spread_kpa: float,
) -> None:
    rng = random.Random(11)
    history = [
        FlowRun(
            i, NORMAL_M3H * (1 + rng.gauss(0, 0.02)), 40.0, 250 + pressure_spread_kpa * rng.random()
        )
        for i in range(1, 41)
    ]
    signature = fit_signature(history, TUNING)
    reg, mean, sd = _sklearn_fit(history)
    assert signature.pressure_mean_kpa == mean and signature.pressure_sd_kpa == sd
    assert signature.normal_m3h == float(reg.intercept_)  # type: ignore[attr-defined]
    assert signature.sigma_m3h == max(
        float(reg.scale_),
        float(reg.intercept_) * TUNING.min_sigma_pct / 100,  # type: ignore[attr-defined]
    )
    # what a run is judged on: the expected flow at its pressure (then z and the CUSUM)
    later = [250 + 60 * rng.random() - 5 for _ in range(200)]
    for p in [*later, None]:
        x = [[0.0]] if mean is None else [[((mean if p is None else p) - mean) / sd]]
        assert signature.expected_m3h(p) == float(reg.predict(x)[0])  # type: ignore[attr-defined]
    leak = [FlowRun(100 + i, NORMAL_M3H * 1.12, 40.0, p) for i, p in enumerate(later[:6])]
    assert feed(signature, leak)[0][1] == "leak"


def test_a_signature_holds_no_scikit_learn_object() -> None:
    signature = fit_signature(runs(20), TUNING)
    held = pickle.dumps(signature)
    assert b"sklearn" not in held
    assert pickle.loads(held) == signature
