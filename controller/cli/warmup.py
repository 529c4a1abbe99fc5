"""``qanat warmup``: compile every numba kernel of the models into ``NUMBA_CACHE_DIR``.

Run once at install (and after each upgrade) as the service user, so the
daemon loads machine code from the cache instead of compiling for tens of
seconds at start on a Pi, and a read-only install never needs to write
compiled code beside the package. Each public model entry point is called
once on a tiny input with the same argument types the daemon uses, which
compiles (or loads) the kernels behind it:

* ``models.et0.daily`` (FAO-56 and ASCE) → ``daily_kernel``
* ``models.et0.hourly`` → ``hourly_kernel``
* ``models.waterbalance.run_season`` → ``group_series``, ``advance_zones``, ``count_outside``
* ``models.planner.plan`` → ``plan_zones``
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable

import numpy as np

from controller.cli.exitcodes import FAILED, OK


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print timings as JSON")


def _et0_daily() -> None:
    from models.et0 import daily

    for method in ("fao56", "asce"):
        daily(
            tmax=[[29.3]],
            tmin=[[15.5]],
            doy=[183],
            lat_deg=38.93,
            elev_m=1482.0,
            rh_max=[[73.0]],
            rh_min=[[24.0]],
            wind=[[1.9]],
            rs=[[26.3]],
            method=method,
            hargreaves_fallback=True,
            on_invalid="flag",
        )


def _et0_hourly() -> None:
    from models.et0 import hourly

    hourly(
        t=[[25.0]],
        doy=[183],
        hour=[12],
        lat_deg=38.93,
        lon_deg=100.43,
        elev_m=1482.0,
        tz_meridian_deg=120.0,
        rh=[[40.0]],
        wind=[[2.0]],
        rs=[[3.0]],
        on_invalid="flag",
    )


def _waterbalance() -> None:
    from models.crops import crop, crop_keys
    from models.soils import SoilProfile, texture
    from models.waterbalance import (
        CropCurves,
        StateArrays,
        WeatherSeries,
        ZoneSetup,
        ZoneState,
        ZoneTable,
        run_season,
    )

    soil = SoilProfile.uniform(texture("loam"), 1.0)
    setup = ZoneSetup(soil)
    days = 3
    state = ZoneState(dr_mm=10.0, de_mm=setup.tew_mm, fw=1.0, taw_mm=soil.taw_mm(0.3))
    run_season(
        ZoneTable.build([setup], [0], [0]),
        CropCurves.from_crops([crop(crop_keys()[0])], [0.0], days),
        WeatherSeries.build([[5.0] * days], [[0.0] * days], [[2.0] * days], [[30.0] * days]),
        np.zeros((1, days)),
        StateArrays.from_states([state]),
    )


def _planner() -> None:
    from models.planner import Forecast, PlanInputs, ZonePlanInput, plan

    days = 2
    zone = ZonePlanInput(
        zone_id="z1",
        dr_mm=60.0,
        taw_mm=130.0,
        mad_fraction=(0.55,) * days,
        kc=1.1,
        area_m2=3333.0,
        flow_m3_h=30.0,
        efficiency=0.9,
        min_run_min=20,
        max_run_min=360,
        infiltration_mm_h=float("inf"),
        cycle_max_min=60,
        soak_min=30,
    )
    inputs = PlanInputs(
        zones=(zone,),
        pump_capacity_m3_h=150.0,
        window=(True,) * (24 * days),
        tariff_per_kwh=(0.5,) * (24 * days),
        horizon_days=days,
        forecast=Forecast(et0_mm_day=(6.0,) * days, rain_mm_day=(0.0,) * days),
    )
    plan(inputs)


STEPS: dict[str, Callable[[], None]] = {
    "et0.daily": _et0_daily,
    "et0.hourly": _et0_hourly,
    "waterbalance.run_season": _waterbalance,
    "planner.plan": _planner,
}


def run(args: argparse.Namespace) -> int:
    cache = os.environ.get("NUMBA_CACHE_DIR", "")
    if not cache:
        print(
            "warning: NUMBA_CACHE_DIR is not set; the cache goes beside the package",
            file=sys.stderr,
        )
    timings: dict[str, float] = {}
    for name, step in STEPS.items():
        t0 = time.perf_counter()
        try:
            step()
        except Exception as exc:  # report which kernel failed, with the cause, and stop
            print(f"warmup {name} failed: {exc!r}", file=sys.stderr)
            return FAILED
        timings[name] = round(time.perf_counter() - t0, 3)
    if args.json:
        print(json.dumps({"numba_cache_dir": cache, "seconds": timings}))
    else:
        for name, s in timings.items():
            print(f"{name}: {s:.2f} s")
        print(f"numba cache: {cache or '(beside the package)'}")
    return OK
