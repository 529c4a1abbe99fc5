"""Canopy cover from field-camera photos: the classifier's error over a season of drawn images.

A season's canopy grows on a logistic curve from bare soil (cover 0) to 0.95 (maize at
silking); one image a sample day for each film (white and black mulch), the light drawn per
image (sun with a brightness of 0.6-1.2 and cast shadows, or overcast), each image sent as a
camera sends it (JPEG, quality 90, colour at half resolution) and decoded as the box decodes
it. The product's classifier (:func:`models.learning.canopy.fit_classifier`) is trained on
other drawn images (another seed) and estimates every season image's cover; the truth is the
drawing's exact plant fraction.

Figures:

* ``cover_abs_error_max`` / ``cover_abs_error_mean``: |estimate − truth| over the season's
  images, both films (goal: max ≤ 0.05);
* ``white_error_max`` / ``black_error_max``: the same per film;
* ``exg_abs_error_max`` / ``exg_abs_error_mean``: the plain excess-green index with Otsu's
  threshold on the same images, the estimate the classifier replaces;
* ``lossless_error_max``: the classifier on the drawings themselves (no JPEG), which shows
  how much of the error the camera's compression adds;
* ``images``, ``train_s`` (training, one core), ``estimate_ms`` (per 160×120 image);
* full runs only, the referee's season: the canopy AquaCrop grows for the scenario's seed
  maize on the same seed's weather (the referee's loam, drip under 70 % film, 36 mm every
  10 days from day 30), photographed every 4th day on each film:
  ``referee_error_max`` / ``referee_error_mean`` over ``referee_images``, and its
  ``referee_ccx`` (the season's largest cover). Without the ``sim`` extra (aquacrop):
  ``referee`` says so.
"""

from __future__ import annotations

import math
import time

import numpy as np

from drivers.sim.canopy import PLANT, varied_scenes
from models.learning.canopy import (
    CanopyClassifier,
    LabelledImage,
    exg_otsu_cover,
    fit_classifier,
)

NAME = "canopy"
GOALS: dict[str, tuple[str, float]] = {"cover_abs_error_max": ("<=", 0.05)}


def season_covers(days: int) -> list[float]:
    """Cover on ``days`` evenly spaced days of a season: 0 at emergence, 0.95 at the end."""
    out = []
    for i in range(days):
        t = i / max(1, days - 1)
        s = 1 / (1 + math.exp(-(t - 0.45) / 0.1))
        s0, s1 = 1 / (1 + math.exp(4.5)), 1 / (1 + math.exp(-5.5))
        out.append(round(0.95 * (s - s0) / (s1 - s0), 4))
    return out


def referee_covers(seed: int, every_days: int = 4) -> list[float]:
    """AquaCrop's canopy cover of the scenario's seed maize on ``seed``'s weather, every
    ``every_days`` from planting to harvest (see the module's docstring)."""
    from controller.simulation.referee import aquacrop as r
    from controller.simulation.referee.evaluate import season_weather
    from controller.simulation.referee.practices import accounting
    from controller.simulation.season import load_scenario

    scenario = load_scenario("zhangye-seed-corn")
    acc = accounting(scenario)
    field = r.AquaCropField(
        season_weather(scenario, seed, acc),
        planting=acc.planting,
        harvest=acc.harvest,
        soil=r.SoilSpec("custom", (r.SoilLayer(1.2, 0.12, 0.28, 0.45, 500.0),)),
        crop_params=r.SEED_MAIZE_ZHANGYE,
        initial_water=0.95,
        mulch=r.Mulch(70, 1.0),
        wetted_surface_pct=30,
    )
    covers, day = [], 0
    while not field.finished:
        state = field.step(36.0 if day >= 30 and day % 10 == 0 else 0.0)
        if day % every_days == 0:
            covers.append(round(min(1.0, max(0.0, state.canopy_cover)), 4))
        day += 1
    return covers


def _referee(model: CanopyClassifier, seed: int) -> dict[str, float | int | str]:
    try:
        covers = referee_covers(seed)
    except ImportError as exc:  # no aquacrop: the sim extra is not installed
        return {"referee": f"unavailable ({exc})"}
    scenes = varied_scenes([c for c in covers for _ in range(2)], seed=seed + 2000)
    errors = [abs(model.cover(s.as_seen()) - s.cover_fraction) for s in scenes]
    return {
        "referee_images": len(scenes),
        "referee_ccx": max(covers),
        "referee_error_max": round(max(errors), 4),
        "referee_error_mean": round(float(np.mean(errors)), 4),
    }


def run(seed: int, quick: bool) -> dict[str, float | int | str]:
    rng = np.random.default_rng(seed)
    train_covers = [float(c) for c in rng.uniform(0.0, 1.0, 16 if quick else 32)]
    train = [
        LabelledImage(s.as_seen(), (s.classes == PLANT).astype(np.int8))
        for s in varied_scenes(train_covers, seed=seed)
    ]
    started = time.perf_counter()
    model = fit_classifier(train, seed=seed)
    train_s = time.perf_counter() - started
    days = season_covers(8 if quick else 40)
    # each day twice, white then black film; the light alternates every other image
    season = varied_scenes([c for c in days for _ in range(2)], seed=seed + 1000)
    errors: list[float] = []
    exg: list[float] = []
    lossless: list[float] = []
    per_film: dict[str, list[float]] = {"white": [], "black": []}
    started = time.perf_counter()
    for scene in season:
        seen = scene.as_seen()
        err = abs(model.cover(seen) - scene.cover_fraction)
        errors.append(err)
        per_film[scene.scene.film].append(err)
    estimate_ms = (time.perf_counter() - started) / len(season) * 1000
    for scene in season:
        exg.append(abs(exg_otsu_cover(scene.as_seen()) - scene.cover_fraction))
        lossless.append(abs(model.cover(scene.rgb) - scene.cover_fraction))
    return {
        "images": len(season),
        "cover_abs_error_max": round(max(errors), 4),
        "cover_abs_error_mean": round(float(np.mean(errors)), 4),
        "white_error_max": round(max(per_film["white"]), 4),
        "black_error_max": round(max(per_film["black"]), 4),
        "exg_abs_error_max": round(max(exg), 4),
        "exg_abs_error_mean": round(float(np.mean(exg)), 4),
        "lossless_error_max": round(max(lossless), 4),
        "train_s": round(train_s, 2),
        "estimate_ms": round(estimate_ms, 1),
        **({} if quick else _referee(model, seed)),
    }
