"""Reference ET throughput: qanat's numba kernels against refet and pyet on the same inputs.

Run by hand: ``python -m benchmarks.et0`` (about a minute). Prints one JSON line per
comparison with elements (station-steps) per second for both sides and their ratio.

* daily vs refet: 1,000 stations × 1,000 days, ASCE ETo (measured Rs and ea);
* daily vs pyet: FAO-56 with RHmax/RHmin; pyet takes one pandas Series per station, so it is
  timed on 100 of the stations and qanat on exactly those;
* hourly vs refet: 100 stations × 8,760 hours, ASCE ETo (refet's night fcd = 1, so qanat runs
  ``night_fcd="one"``).

qanat is warmed up first (JIT compiled or loaded from NUMBA_CACHE_DIR, pages touched); each
side is timed as the best of several runs (qanat's are short, so it gets more), including
whatever input conversion its public API does. Best-of keeps a busy machine's noise out.
"""

from __future__ import annotations

import json
import math
import os
import time
import warnings
from collections.abc import Callable
from typing import Any

import numba
import numpy as np

from models import et0

REPEATS = 5
ZW = 3.0


def best_seconds(fn: Callable[[], Any], repeats: int = REPEATS) -> float:
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def daily_inputs(n_st: int, n_t: int, seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    shape = (n_st, n_t)
    tmin = rng.uniform(-10, 25, shape)
    rh_min = rng.uniform(10, 80, shape)
    return {
        "tmin": tmin,
        "tmax": tmin + rng.uniform(2, 18, shape),
        "ea": 0.6108 * np.exp(17.27 * (tmin - 2) / (tmin - 2 + 237.3)),
        "rh_min": rh_min,
        "rh_max": np.minimum(100, rh_min + rng.uniform(10, 40, shape)),
        "wind": rng.uniform(0.5, 6, shape),
        "rs": rng.uniform(3, 30, shape),
        "lat": rng.uniform(-55, 55, n_st),
        "elev": rng.uniform(0, 3000, n_st),
        "doy": (np.arange(n_t) % 365 + 1).astype(np.float64),
    }


def report(name: str, peer: str, elements: int, ours_s: float, peer_s: float) -> None:
    ours_rate, peer_rate = elements / ours_s, elements / peer_s
    print(
        json.dumps(
            {
                "benchmark": name,
                "peer": peer,
                "elements": elements,
                "qanat_elements_per_s": round(ours_rate),
                "peer_elements_per_s": round(peer_rate),
                "qanat_s": round(ours_s, 4),
                "peer_s": round(peer_s, 4),
                "ratio": round(ours_rate / peer_rate, 1),
                "threads": numba.get_num_threads(),
                "cpus": os.cpu_count(),
            }
        ),
        flush=True,
    )


def bench_daily_refet(n_st: int = 1000, n_t: int = 1000) -> None:
    import refet

    d = daily_inputs(n_st, n_t)
    shape = (n_st, n_t)

    def ours() -> np.ndarray:
        return et0.daily(
            tmax=d["tmax"],
            tmin=d["tmin"],
            ea=d["ea"],
            wind=d["wind"],
            wind_height_m=ZW,
            rs=d["rs"],
            doy=d["doy"],
            lat_deg=d["lat"],
            elev_m=d["elev"],
            method="asce",
            crop="short",
        ).et0_mm

    def theirs() -> np.ndarray:
        return refet.Daily(
            tmin=d["tmin"],
            tmax=d["tmax"],
            ea=d["ea"],
            rs=d["rs"],
            uz=d["wind"],
            zw=ZW,
            elev=np.broadcast_to(d["elev"][:, None], shape),
            lat=np.broadcast_to(d["lat"][:, None], shape),
            doy=np.broadcast_to(d["doy"], shape),
            method="asce",
        ).eto()

    np.testing.assert_allclose(ours(), theirs(), rtol=1e-8, atol=1e-9)  # warm-up and check
    report(
        "et0-daily-asce", "refet", n_st * n_t, best_seconds(ours, 4 * REPEATS), best_seconds(theirs)
    )


def bench_daily_pyet(n_st: int = 100, n_t: int = 1000) -> None:
    import pandas as pd
    import pyet

    d = daily_inputs(n_st, n_t, seed=2)
    index = pd.date_range("2021-01-01", periods=n_t, freq="D")
    doy = index.dayofyear.to_numpy().astype(np.float64)

    def ours() -> np.ndarray:
        return et0.daily(
            tmax=d["tmax"],
            tmin=d["tmin"],
            rh_max=d["rh_max"],
            rh_min=d["rh_min"],
            wind=d["wind"],
            wind_height_m=2.0,
            rs=d["rs"],
            doy=doy,
            lat_deg=d["lat"],
            elev_m=d["elev"],
            method="fao56",
        ).et0_mm

    def theirs() -> np.ndarray:
        out = np.empty((n_st, n_t))
        for s in range(n_st):
            tmax = pd.Series(d["tmax"][s], index=index)
            tmin = pd.Series(d["tmin"][s], index=index)
            out[s] = pyet.pm_fao56(
                (tmax + tmin) / 2,
                pd.Series(d["wind"][s], index=index),
                rs=pd.Series(d["rs"][s], index=index),
                tmax=tmax,
                tmin=tmin,
                rhmax=pd.Series(d["rh_max"][s], index=index),
                rhmin=pd.Series(d["rh_min"][s], index=index),
                elevation=float(d["elev"][s]),
                lat=math.radians(float(d["lat"][s])),
            ).to_numpy()
        return out

    np.testing.assert_allclose(np.maximum(ours(), 0), theirs(), rtol=1e-8, atol=1e-9)
    report(
        "et0-daily-fao56",
        "pyet",
        n_st * n_t,
        best_seconds(ours, 4 * REPEATS),
        best_seconds(theirs, 2),
    )


def bench_hourly_refet(n_st: int = 100, n_t: int = 8760) -> None:
    import refet

    rng = np.random.default_rng(3)
    shape = (n_st, n_t)
    T = rng.uniform(-5, 35, shape)
    ea = 0.6108 * np.exp(17.27 * (T - 6) / (T - 6 + 237.3))
    uz = rng.uniform(0.3, 7, shape)
    rs = rng.uniform(0, 3.5, shape)
    lat, lon = rng.uniform(-55, 55, n_st), rng.uniform(-180, 180, n_st)
    elev = rng.uniform(0, 3000, n_st)
    hours = np.arange(n_t, dtype=np.float64)
    doy, hour = hours // 24 + 1, hours % 24

    def ours() -> np.ndarray:
        return et0.hourly(
            t=T,
            ea=ea,
            wind=uz,
            wind_height_m=ZW,
            rs=rs,
            doy=doy,
            hour=hour,
            lat_deg=lat,
            lon_deg=lon,
            elev_m=elev,
            method="asce",
            night_fcd="one",
        ).et0_mm

    def theirs() -> np.ndarray:
        return refet.Hourly(
            tmean=T,
            ea=ea,
            rs=rs,
            uz=uz,
            zw=ZW,
            elev=np.broadcast_to(elev[:, None], shape),
            lat=np.broadcast_to(lat[:, None], shape),
            lon=np.broadcast_to(lon[:, None], shape),
            doy=np.broadcast_to(doy, shape),
            time=np.broadcast_to(hour, shape),
            method="asce",
        ).eto()

    ours()
    theirs()
    report(
        "et0-hourly-asce",
        "refet",
        n_st * n_t,
        best_seconds(ours, 4 * REPEATS),
        best_seconds(theirs),
    )


def main() -> None:
    warnings.simplefilter("ignore")  # pyet/pandas deprecation chatter
    small = daily_inputs(2, 3)
    et0.daily(
        tmax=small["tmax"], tmin=small["tmin"], doy=small["doy"], lat_deg=40.0, elev_m=100.0
    )  # JIT load before any timing
    bench_daily_refet()
    bench_daily_pyet()
    bench_hourly_refet()


if __name__ == "__main__":
    main()
