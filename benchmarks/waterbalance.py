"""Soil water balance throughput: qanat's numba kernel against pyfao56 on the same inputs.

Run by hand: ``python -m benchmarks.waterbalance`` (well under two minutes). Every zone is the
published Maricopa cotton 2013 season of pyfao56's own test (tests/data/pyfao56-cotton2013):
same parameters, weather and irrigation, dual Kc, the whole year 2013 (365 days); zones
alternate between the dry and the wet irrigation schedule (depth and fw per event).

* qanat kernel: ``run_season`` on 10,000 zones × 365 days, public API included (input checks,
  per-group Kcmax/fc/TAW); the JIT is warmed up first. Timed twice: writing into the arrays of
  a previous result (``out=``, as a planner comparing scenarios does) and allocating fresh
  outputs per call (5 × 29 MB, whose page faults are a large part of the time on small VMs);
* qanat reference: ``run_season_reference`` (plain Python, one ``advance`` per zone-day) on
  20 of the zones;
* pyfao56: ``Model.run()`` for the dry and the wet zone (one model per zone; it has no
  multi-zone mode), including building the model from the loaded inputs.

Timings are the median of ``REPEATS`` runs (best for pyfao56 and the reference, which run
fewer times). Prints one JSON line per measurement, then the ratios, then an agreement check:
the largest daily |ΔDr| between qanat and pyfao56 over the year. It is not 0 because the
year starts in January with the soil at the wilting point (Dr = TAW): pyfao56 lets soil
evaporation push Dr past TAW and clips it (losing water), qanat cuts the evaporation so the
balance closes; over the cropping season itself the two agree to 1e-9 mm (see
tests/models/test_waterbalance_pyfao56.py).
"""

from __future__ import annotations

import json
import math
import statistics
import time
from collections.abc import Callable
from typing import Any

import numba
import numpy as np

from models.crops import Crop
from models.soils import Layer, SoilProfile
from models.waterbalance import (
    CropCurves,
    StateArrays,
    WeatherSeries,
    ZoneSetup,
    ZoneState,
    ZoneTable,
    run_season,
    run_season_reference,
)
from tests.helpers.pyfao56_files import DATA, read_irr, read_par, read_wth, season_keys

ZONES = 10_000
REFERENCE_ZONES = 20
REPEATS = 7
FIRST, LAST = "2013-001", "2013-365"


def timings(fn: Callable[[], Any], repeats: int) -> list[float]:
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - start)
    return seconds


def qanat_inputs(n_zones: int) -> dict[str, Any]:
    par = read_par(DATA / "cotton2013.par")
    weather = read_wth(DATA / "cotton2013.wth")
    keys = season_keys(FIRST, LAST)
    cotton = Crop(
        key="cotton2013",
        name="cotton (Maricopa 2013)",
        stage_days=(int(par["Lini"]), int(par["Ldev"]), int(par["Lmid"]), int(par["Lend"])),
        kc_ini=par["Kcmini"],
        kc_mid=par["Kcmmid"],
        kc_end=par["Kcmend"],
        kcb_ini=par["Kcbini"],
        kcb_mid=par["Kcbmid"],
        kcb_end=par["Kcbend"],
        height_initial_m=par["hini"],
        height_max_m=par["hmax"],
        root_depth_min_m=par["Zrini"],
        root_depth_max_m=par["Zrmax"],
        p=par["pbase"],
    )
    soil = SoilProfile(
        (Layer(0.0, par["Zrmax"], par["thetaFC"], par["thetaWP"]),),
        ze_m=par["Ze"],
        rew_mm=par["REW"],
    )
    setup = ZoneSetup(soil)
    to_u2 = 4.87 / math.log(67.8 * weather.wind_height_m - 5.42)  # FAO-56 eq. 47
    series = WeatherSeries.build(
        [[weather.et_ref[k] for k in keys]],
        [[weather.rain[k] for k in keys]],
        [[weather.wind[k] * to_u2 for k in keys]],
        [[weather.rhmin[k] for k in keys]],
    )
    schedules = [read_irr(DATA / f"cotton{t}2013.irr") for t in ("dry", "wet")]
    gross = np.array([[s[k][0] if k in s else 0.0 for k in keys] for s in schedules])
    fw = np.array([[s[k][1] if k in s else 1.0 for k in keys] for s in schedules])
    pick = np.arange(n_zones) % 2
    dr0 = 1000.0 * (par["thetaFC"] - par["theta0"]) * par["Zrini"]  # eq. 87
    state = ZoneState(dr_mm=dr0, de_mm=setup.tew_mm, fw=1.0, taw_mm=soil.taw_mm(par["Zrini"]))
    return {
        "zones": ZoneTable.build([setup] * n_zones, np.zeros(n_zones, int), np.zeros(n_zones, int)),
        "curves": CropCurves.from_crops([cotton], [0.0], len(keys)),
        "weather": series,
        "irrigation_gross_mm": np.ascontiguousarray(gross[pick]),
        "initial": StateArrays.from_states([state] * n_zones),
        "irrigation_fw": np.ascontiguousarray(fw[pick]),
    }


def pyfao56_runner() -> tuple[Callable[[], list[np.ndarray]], str]:
    import pyfao56 as fao  # a peer for comparison, never a runtime dependency

    par = fao.Parameters()
    par.loadfile(str(DATA / "cotton2013.par"))
    wth = fao.Weather()
    wth.loadfile(str(DATA / "cotton2013.wth"))
    schedules = []
    for treatment in ("dry", "wet"):
        irr = fao.Irrigation()
        irr.loadfile(str(DATA / f"cotton{treatment}2013.irr"))
        schedules.append(irr)

    def run() -> list[np.ndarray]:
        results = []
        for irr in schedules:
            model = fao.Model(FIRST, LAST, par, wth, irr=irr)
            model.run()
            results.append(model.odata["Dr"].to_numpy(dtype=float))
        return results

    return run, fao.__version__


def line(**fields: Any) -> None:
    print(json.dumps({"benchmark": "waterbalance", **fields}), flush=True)


def main() -> None:
    days = len(season_keys(FIRST, LAST))
    full = qanat_inputs(ZONES)
    run_season(**qanat_inputs(4))  # warm up: compile or load from NUMBA_CACHE_DIR
    buffers = run_season(**full)  # touch pages
    kernel_s = statistics.median(timings(lambda: run_season(**full, out=buffers), REPEATS))
    kernel_rate = ZONES * days / kernel_s
    line(
        impl="qanat-kernel",
        zones=ZONES,
        days=days,
        seconds=round(kernel_s, 4),
        zone_days_per_s=round(kernel_rate),
        threads=numba.get_num_threads(),
        outputs="reused (out=)",
    )
    fresh_s = statistics.median(timings(lambda: run_season(**full), REPEATS))
    line(
        impl="qanat-kernel",
        zones=ZONES,
        days=days,
        seconds=round(fresh_s, 4),
        zone_days_per_s=round(ZONES * days / fresh_s),
        threads=numba.get_num_threads(),
        outputs="allocated per call",
    )

    small = qanat_inputs(REFERENCE_ZONES)
    reference_s = min(timings(lambda: run_season_reference(**small), 2))
    reference_rate = REFERENCE_ZONES * days / reference_s
    line(
        impl="qanat-reference",
        zones=REFERENCE_ZONES,
        days=days,
        seconds=round(reference_s, 4),
        zone_days_per_s=round(reference_rate),
    )

    run_pyfao56, version = pyfao56_runner()
    pyfao56_s = min(timings(run_pyfao56, 2))
    pyfao56_rate = 2 * days / pyfao56_s
    line(
        impl=f"pyfao56-{version}",
        zones=2,
        days=days,
        seconds=round(pyfao56_s, 4),
        zone_days_per_s=round(pyfao56_rate, 1),
    )

    line(ratio="qanat-kernel/pyfao56", value=round(kernel_rate / pyfao56_rate))
    line(ratio="qanat-kernel/qanat-reference", value=round(kernel_rate / reference_rate))

    ours = run_season(**qanat_inputs(2)).dr_mm
    theirs = run_pyfao56()
    worst = max(float(np.max(np.abs(ours[z] - theirs[z]))) for z in range(2))
    line(check="max |Dr qanat - Dr pyfao56| over the year, mm", value=round(worst, 6))


if __name__ == "__main__":
    main()
