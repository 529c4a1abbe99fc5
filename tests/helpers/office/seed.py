"""A box's store filled with a synthetic season through the store's own write methods.

The water balance follows FAO-56 eq. 85 day by day (a bucket with TAW 120 mm), so its
closure error is zero by construction; irrigations happen when depletion passes RAW, each
one a run with metered water and fertilizer, a decision, and now and then an event.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from controller.clock import VirtualClock
from controller.config.site import M2_PER_MU
from controller.store import ReadingRow, RunState, Store, WaterBalanceDay

SEASON_START = date(2026, 4, 20)
ZONE_AREA_MU = {"z1": 25.0, "z2": 25.0}
TAW_MM = 120.0
RAW_MM = 60.0
IRRIGATION_MM = 30.0
METER_FACTOR = 1.02  # the meter reads 2 % more than reaches the root zone


@dataclass(frozen=True)
class Seeded:
    runs: int
    water_balance: int
    readings: int


def open_store(data_dir: Path, start: date = SEASON_START) -> Store:
    """A store on ``data_dir`` whose clock starts at 06:00 UTC on ``start``."""
    clock = VirtualClock(datetime(start.year, start.month, start.day, 6, tzinfo=UTC))
    data_dir.mkdir(parents=True, exist_ok=True)
    return Store(f"sqlite:///{data_dir / 'qanat.db'}", clock=clock)


def seed_season(
    store: Store,
    *,
    days: int = 150,
    start: date = SEASON_START,
    readings_per_day: int = 24,
    seed: int = 1,
) -> Seeded:
    """Fill ``store`` with ``days`` days of every export table; its clock moves along."""
    rng = random.Random(seed)
    clock = store.clock
    assert isinstance(clock, VirtualClock)
    dr = dict.fromkeys(ZONE_AREA_MU, 20.0)
    runs = wb = readings = 0
    for n in range(days):
        day = start + timedelta(days=n)
        rain = rng.choice([0.0] * 8 + [2.0, 6.0])
        et0 = 4.0 + 3.0 * rng.random()
        for zone, area_mu in ZONE_AREA_MU.items():
            irrigation = 0.0
            if dr[zone] > RAW_MM:
                irrigation = IRRIGATION_MM
                runs += _irrigate(store, zone, area_mu, n)
            ks = 1.0 if dr[zone] <= RAW_MM else (TAW_MM - dr[zone]) / (TAW_MM - RAW_MM)
            etc = 1.1 * et0
            eta = ks * etc
            start_dr = dr[zone]
            after = start_dr - rain - irrigation + eta
            dp = max(0.0, -after)  # eq. 88: what the soil cannot hold drains
            dr[zone] = max(after, 0.0)
            store.add_water_balance(
                WaterBalanceDay(
                    zone=zone,
                    date=day,
                    et0_mm=et0,
                    kc=1.1,
                    etc_mm=etc,
                    eta_mm=eta,
                    rain_mm=rain,
                    effective_rain_mm=rain,
                    irrigation_mm=irrigation,
                    deep_percolation_mm=dp,
                    dr_start_mm=start_dr,
                    dr_end_mm=dr[zone],
                    taw_mm=TAW_MM,
                    raw_mm=RAW_MM,
                    ks=ks,
                    method="synthetic FAO-56 eq. 85",
                )
            )
            wb += 1
        readings += _readings(store, clock.now(), readings_per_day, rng)
        if n % 30 == 7:
            store.raise_event("warning", "stale", "probe1", "probe 1 stale", latched=True)
        clock.advance(86400)
    store.record_audit("ada", "config.reload", {"by": "seed"})
    return Seeded(runs=runs, water_balance=wb, readings=readings)


def _irrigate(store: Store, zone: str, area_mu: float, n: int) -> int:
    volume_m3 = IRRIGATION_MM / 1000 * area_mu * M2_PER_MU * METER_FACTOR
    decision = store.record_decision(
        zone,
        "et",
        "irrigate",
        f"depletion > RAW {RAW_MM:g} mm",
        {"raw_mm": RAW_MM},
        duration_min=90.0,
        depth_mm=IRRIGATION_MM,
    )
    run = store.plan_run(zone, "plan", 90.0, decision_id=decision.id)
    assert run.id is not None
    store.start_run(run.id)
    store.finish_run(
        run.id, RunState.DONE, "volume reached", volume_m3, {"N": 2.5, "K2O": 1.0 + n % 2}
    )
    return 1


def _readings(store: Store, day_start: datetime, count: int, rng: random.Random) -> int:
    rows = [
        {
            "time": day_start + timedelta(hours=24 * i / count),
            "device": "probe1",
            "point": "moisture_20cm",
            "value": round(20 + 10 * rng.random(), 3),
            "decoded": None,
            "unit": "%",
            "quality": "ok",
            "detail": "",
        }
        for i in range(count)
    ]
    with store._write() as session:  # bulk, as the reading buffer writes them
        session.execute(insert(ReadingRow), rows)
    return count
