"""Irrigation planner speed: the numba kernel against its plain-Python reference.

Run by hand: ``python -m benchmarks.planner``. One site of 64 zones (seed-corn drip blocks of
5 mu, 3,333 m², at 20-40 m³/h, scattered depletions, MAD 0.55 with a deficit MAD 0.65 on
some days) over a 7-day hourly horizon; pump 150 m³/h (four to seven zones at once); irrigation
window 20:00-08:00 with an off-peak tariff 23:00-07:00; slot 0 is 00:00.

Timings are medians of ``REPEATS`` runs after a JIT warm-up (compile or load from
NUMBA_CACHE_DIR): the kernel alone on prebuilt arrays, the whole ``plan()`` (validation,
arrays, kernel, events and decisions), and the reference (kernel part only). Prints one JSON
line each, then the ratio.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from models.planner import Forecast, PlanInputs, ZonePlanInput, plan
from models.planner.arrays import build_arrays
from models.planner.kernel import plan_zones
from models.planner.reference import plan_zones_reference

ZONES = 64
DAYS = 7
REPEATS = 21
REFERENCE_REPEATS = 5


def site(n_zones: int = ZONES, seed: int = 1) -> PlanInputs:
    rng = np.random.default_rng(seed)
    slots = DAYS * 24
    zones = tuple(
        ZonePlanInput(
            zone_id=f"z{i + 1}",
            dr_mm=float(rng.uniform(0.2, 0.6)) * 130.0,
            taw_mm=130.0,
            mad_fraction=tuple(0.65 if d in (0, 1) and i % 2 else 0.55 for d in range(DAYS)),
            kc=float(rng.uniform(1.0, 1.2)),
            area_m2=3_333.0,
            flow_m3_h=float(rng.choice([20.0, 30.0, 40.0])),
            efficiency=0.9,
            min_run_min=20,
            max_run_min=360,
            infiltration_mm_h=float(rng.choice([np.inf, 1.5])),
            cycle_max_min=60,
            soak_min=30,
        )
        for i in range(n_zones)
    )
    return PlanInputs(
        zones=zones,
        pump_capacity_m3_h=150.0,
        window=tuple(h % 24 >= 20 or h % 24 < 8 for h in range(slots)),
        tariff_per_kwh=tuple(0.3 if h % 24 >= 23 or h % 24 < 7 else 0.8 for h in range(slots)),
        horizon_days=DAYS,
        forecast=Forecast(
            et0_mm_day=(6.5, 7.0, 5.5, 6.0, 6.8, 7.2, 6.1),
            rain_mm_day=(0.0, 0.0, 4.0, 0.0, 0.0, 0.0, 0.0),
        ),
    )


def median_s(fn: Callable[[], Any], repeats: int) -> float:
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def line(**fields: Any) -> None:
    print(json.dumps({"benchmark": "planner", **fields}), flush=True)


def main() -> None:
    inputs = site()
    args = build_arrays(inputs).kernel_args()
    result = plan(inputs)  # warm up: compile or load from NUMBA_CACHE_DIR
    shape = {"zones": ZONES, "slots": DAYS * 24, "events": len(result.events)}
    kernel_s = median_s(lambda: plan_zones(*args), REPEATS)
    line(impl="qanat-kernel", **shape, ms=round(kernel_s * 1e3, 3), repeats=REPEATS)
    plan_s = median_s(lambda: plan(inputs), REPEATS)
    line(
        impl="qanat-plan",
        **shape,
        ms=round(plan_s * 1e3, 3),
        repeats=REPEATS,
        includes="validation, arrays, kernel, events, decisions",
    )
    reference_s = median_s(lambda: plan_zones_reference(*args), REFERENCE_REPEATS)
    line(impl="qanat-reference", **shape, ms=round(reference_s * 1e3, 3), repeats=REFERENCE_REPEATS)
    line(ratio="qanat-reference/qanat-kernel", value=round(reference_s / kernel_s, 1))


if __name__ == "__main__":
    main()
