"""The canopy classifier's shipped training set, drawn by the simulated camera.

``python -m controller.simulation.canopy [PATH]`` writes the set the box trains its
classifier on when it has none (``controller/canopy/data/training.npz``): :data:`COUNT`
drawn scenes of maize on white and black mulch, sun and overcast, covers spread over 0..1,
each as a camera sends it (JPEG) with its exact plant mask. Deterministic for the seed;
``tests/simulation/test_canopy_training.py`` holds the shipped file to it.

:func:`referee_cover` is what a simulated camera photographs in a referee season.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from controller.canopy.classifier import training_arrays
from controller.paths import bundled
from drivers.sim.canopy import varied_scenes

if TYPE_CHECKING:  # the referee imports aquacrop: only where a referee season runs
    from controller.simulation.referee.truth import AquaCropTruth

__all__ = ["COUNT", "SEED", "referee_cover", "training_covers", "write_training_set"]

COUNT = 32
SEED = 20260401


def training_covers(count: int = COUNT, seed: int = SEED) -> list[float]:
    """Covers spread over 0..1: one per equal slice, drawn inside the slice."""
    rng = np.random.default_rng(seed)
    return [float((i + rng.uniform()) / count) for i in range(count)]


def referee_cover(truth: AquaCropTruth) -> float:
    """The zone's true canopy cover in a referee season (0..1): AquaCrop's CC of the last
    day stepped, 0 before the first (a camera's ``cover`` callable in a season)."""
    days = truth.field.days
    return min(1.0, max(0.0, float(days[-1].canopy_cover))) if days else 0.0


def write_training_set(path: Path, count: int = COUNT, seed: int = SEED) -> Path:
    scenes = varied_scenes(training_covers(count, seed), seed=seed)
    arrays: dict[str, Any] = training_arrays([(s.jpeg(), s.plant_mask) for s in scenes])
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        np.savez_compressed(f, **arrays)
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else bundled("controller.canopy", "data")
    if target.is_dir() or not target.suffix:
        target = target / "training.npz"
    print(write_training_set(target))
