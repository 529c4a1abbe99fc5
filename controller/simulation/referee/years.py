"""Named weather years beside the generator's seeds: a dry year and a hot year, stated.

Among the generator's first :data:`CANDIDATES` seeds for the scenario's season (sowing to
harvest):

* ``dry``: the seed whose season rain is the 10th percentile (nine in ten years are wetter);
* ``hot``: the seed with the highest season reference ET (FAO-56 ET0, the station's own
  computation), the year with the greatest demand.

``parse_seeds("dry,hot,1-30")`` turns a command line's list into seeds, naming each.
"""

from __future__ import annotations

import datetime as dt

from controller.simulation.season import Scenario, station_et0
from drivers.sim.weathergen import WeatherGenerator

__all__ = ["CANDIDATES", "named_years", "parse_seeds"]

CANDIDATES = 200


def _season_totals(scenario: Scenario, seed: int, lat: float, elev: float) -> tuple[float, float]:
    start = scenario.start
    series = WeatherGenerator(scenario.normals, seed).generate(
        start - dt.timedelta(days=1), scenario.end + dt.timedelta(days=1)
    )
    rain = sum(d.rain_mm for d in series.days(start, scenario.end))
    et0 = sum(station_et0(series, start, scenario.end, lat, elev).values())
    return rain, et0


def named_years(scenario: Scenario) -> dict[str, int]:
    """``{"dry": seed, "hot": seed}`` for the scenario (see the module docstring)."""
    site = scenario.raw["site"]
    lat, elev = float(site["latitude_deg"]), float(site["elevation_m"])
    totals = {s: _season_totals(scenario, s, lat, elev) for s in range(1, CANDIDATES + 1)}
    by_rain = sorted(totals, key=lambda s: (totals[s][0], s))
    dry = by_rain[round(0.1 * (len(by_rain) - 1))]
    hot = max(totals, key=lambda s: (totals[s][1], -s))
    return {"dry": dry, "hot": hot}


def parse_seeds(text: str, scenario: Scenario | None = None) -> list[int]:
    """``"1-30"``, ``"1,4,7"``, ``"dry,hot,1-10"`` → seeds in order, without repeats.

    Names need the scenario; :class:`ValueError` names a token that is neither."""
    seeds: list[int] = []
    names: dict[str, int] | None = None
    for token in (t.strip() for t in text.split(",")):
        if token in ("dry", "hot"):
            if scenario is None:
                raise ValueError(f"seeds: {token!r} needs a scenario")
            names = names or named_years(scenario)
            found = [names[token]]
        else:
            lo, _, hi = token.partition("-")
            try:
                found = list(range(int(lo), int(hi or lo) + 1))
            except ValueError:
                raise ValueError(
                    f"seeds: {token!r} is not a seed, a range like 1-30, 'dry' or 'hot'"
                ) from None
        seeds += [s for s in found if s not in seeds]
    if not seeds:
        raise ValueError(f"seeds: {text!r} names no seed")
    return seeds
