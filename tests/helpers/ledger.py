"""A stored water-balance day that carries only rain or drainage, for the savings ledger's
tests (:mod:`controller.agronomy.savings`, its salt in :mod:`controller.agronomy.salt`)."""

from __future__ import annotations

import datetime as dt

from controller.store import Store, WaterBalanceDay

__all__ = ["add_quiet_day"]


def add_quiet_day(
    store: Store,
    zone: str,
    day: dt.date,
    *,
    rain_mm: float = 0.0,
    deep_percolation_mm: float = 0.0,
) -> None:
    """Store a balance day of ``zone`` on ``day`` that moves no depletion: ET0 6 mm, Kc 1,
    ETc = ETa = 5 mm, TAW 100 mm, RAW 50 mm, no irrigation or runoff; ``rain_mm`` of rain,
    all of it effective, and ``deep_percolation_mm`` drained below the roots (mm)."""
    store.add_water_balance(
        WaterBalanceDay(
            zone=zone,
            date=day,
            et0_mm=6.0,
            kc=1.0,
            etc_mm=5.0,
            eta_mm=5.0,
            rain_mm=rain_mm,
            effective_rain_mm=rain_mm,
            irrigation_mm=0.0,
            runoff_mm=0.0,
            deep_percolation_mm=deep_percolation_mm,
            dr_start_mm=0.0,
            dr_end_mm=0.0,
            taw_mm=100.0,
            raw_mm=50.0,
            ks=1.0,
            probe_correction_mm=0.0,
            method="test",
            notes="",
        )
    )
