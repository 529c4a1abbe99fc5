"""Canopy cover from a top-down field photo: plant pixels told from soil and mulch film.

Cover is the fraction of an image's pixels that are plant (0..1); FAO-56 eq. 97-98 turn it
into Kcb (:mod:`models.crops.cover`).

Why not a colour index alone. The excess-green index ExG = 2g − r − b on chromatic
coordinates (r = R/(R+G+B), …; Woebbecke et al. 1995) separates green leaves from brown soil,
and an Otsu threshold on it is the textbook cover estimate. On plastic mulch it fails: black
film has almost no signal, so its chromatic coordinates are noise and a tint of the sensor
reads as green; white film and its glare are neutral but an Otsu threshold on an image with
few plants splits the film's own spread; shadows change both. The benchmark
(``python -m benchmarks.learning --part canopy``) measures that error beside this model's.

Model. A :class:`sklearn.ensemble.HistGradientBoostingClassifier` on per-pixel features:
RGB (0..1), HSV, the chromatic ExG and ExGR (ExG − ExR, ExR = 1.4 r − g; Meyer and Neto
2008), the brightness-normalised green, and the mean RGB and ExG of the pixel's 5×5 and
11×11 neighbourhoods (a glare blotch or a shadow is wide; a leaf's edge is not). Trained on
labelled pixels: :class:`LabelledImage` holds an image and a label per pixel (1 plant,
0 not plant, −1 not labelled), so drawn scenes with their exact truth and a few strokes a
user labels on a real photo train the same way. A pixel is plant above a probability cut
chosen on held-out fully labelled images so that their cover comes out right (leaf edges
and shadows otherwise tip the cover up by about a point).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from models.learning.errors import LearningInputError, TooLittleDataError

if TYPE_CHECKING:  # imported by the fit (and by unpickling a trained classifier)
    from sklearn.ensemble import HistGradientBoostingClassifier

__all__ = [
    "FEATURES",
    "FORMAT_VERSION",
    "KIND",
    "CanopyClassifier",
    "LabelledImage",
    "check_rgb",
    "exg_otsu_cover",
    "fit_classifier",
    "pixel_features",
]

KIND = "canopy"
FORMAT_VERSION = 1
MIN_PIXELS_PER_CLASS = 200  # fewer labelled plant (or ground) pixels than this: not trained
MIN_IMAGES_FOR_THRESHOLD = 4  # fully labelled images needed to choose the cut on held-out ones
DEFAULT_THRESHOLD = 0.5
MAX_SIDE_PX = 4096
FEATURES = (
    "r", "g", "b", "h", "s", "v", "exg", "exgr", "g_norm",
    "exg3", "v3", "r5", "g5", "b5", "exg5", "v11", "exg11",
)  # fmt: skip

RGB = NDArray[np.uint8]


def check_rgb(rgb: object, what: str = "image") -> RGB:
    """``rgb`` as an H×W×3 uint8 array, or :class:`LearningInputError` naming ``what``."""
    if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8:
        raise LearningInputError(f"{what}: not an 8-bit RGB array")
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise LearningInputError(f"{what}: shape {rgb.shape}, expected height×width×3")
    if not (1 <= rgb.shape[0] <= MAX_SIDE_PX and 1 <= rgb.shape[1] <= MAX_SIDE_PX):
        raise LearningInputError(f"{what}: {rgb.shape[1]}×{rgb.shape[0]} px, 1..{MAX_SIDE_PX}")
    return rgb


def _box_mean(a: NDArray[np.float32], size: int) -> NDArray[np.float32]:
    """Mean of each pixel's size×size neighbourhood (edges repeated), by summed-area table."""
    r = size // 2
    p = np.pad(a, ((r + 1, r), (r + 1, r)), mode="edge").astype(np.float64)
    s = p.cumsum(0).cumsum(1)
    total = s[size:, size:] - s[:-size, size:] - s[size:, :-size] + s[:-size, :-size]
    return (total / (size * size)).astype(np.float32)


def _hsv(
    r: NDArray[np.float32], g: NDArray[np.float32], b: NDArray[np.float32]
) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.float32]]:
    """Hue (0..1 of a turn), saturation and value of RGB in 0..1."""
    v = np.maximum(np.maximum(r, g), b)
    c = v - np.minimum(np.minimum(r, g), b)
    safe = np.where(c > 0, c, 1.0)
    h = np.where(
        v == r, ((g - b) / safe) % 6.0, np.where(v == g, (b - r) / safe + 2.0, (r - g) / safe + 4.0)
    )
    h = np.where(c > 0, h / 6.0, 0.0).astype(np.float32)
    s = np.where(v > 0, c / np.where(v > 0, v, 1.0), 0.0).astype(np.float32)
    return h, s, v


def _exg(
    r: NDArray[np.float32], g: NDArray[np.float32], b: NDArray[np.float32]
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """ExG and ExGR on chromatic coordinates (Woebbecke 1995; Meyer and Neto 2008)."""
    total = r + g + b + 1e-3
    rc, gc, bc = r / total, g / total, b / total
    exg = (2 * gc - rc - bc).astype(np.float32)
    return exg, (exg - (1.4 * rc - gc)).astype(np.float32)


def pixel_features(rgb: RGB) -> NDArray[np.float32]:
    """One row of :data:`FEATURES` per pixel (H·W × F, row-major like ``rgb``)."""
    rgb = check_rgb(rgb)
    f = rgb.astype(np.float32) / 255.0
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    h, s, v = _hsv(r, g, b)
    exg, exgr = _exg(r, g, b)
    g_norm = g / (v + 1e-3)
    cols = [r, g, b, h, s, v, exg, exgr, g_norm]
    cols += [_box_mean(exg, 3), _box_mean(v, 3)]
    cols += [_box_mean(r, 5), _box_mean(g, 5), _box_mean(b, 5), _box_mean(exg, 5)]
    cols += [_box_mean(v, 11), _box_mean(exg, 11)]
    return np.stack([c.reshape(-1) for c in cols], axis=1).astype(np.float32)


def _otsu(values: NDArray[np.float32], bins: int = 256) -> float:
    """Otsu's threshold: the cut that maximises the between-class variance."""
    hist, edges = np.histogram(values, bins=bins)
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = hist.cumsum()
    w1 = w0[-1] - w0
    m0 = (hist * centres).cumsum()
    mean0 = m0 / np.where(w0 > 0, w0, 1)
    mean1 = (m0[-1] - m0) / np.where(w1 > 0, w1, 1)
    between = w0 * w1 * (mean0 - mean1) ** 2
    return float(centres[int(np.argmax(between))])


def exg_otsu_cover(rgb: RGB) -> float:
    """The plain colour-index estimate: fraction of pixels with ExG above Otsu's threshold."""
    f = check_rgb(rgb).astype(np.float32) / 255.0
    exg, _ = _exg(f[..., 0], f[..., 1], f[..., 2])
    return float(np.mean(exg > _otsu(exg)))


@dataclass(frozen=True)
class LabelledImage:
    """An image and a label per pixel: 1 plant, 0 not plant (soil, film), −1 unlabelled."""

    rgb: RGB
    labels: NDArray[np.int8]

    def __post_init__(self) -> None:
        check_rgb(self.rgb, "labelled image")
        if self.labels.shape != self.rgb.shape[:2]:
            raise LearningInputError(
                f"labels: shape {self.labels.shape}, the image is {self.rgb.shape[:2]}"
            )
        if not np.isin(self.labels, (-1, 0, 1)).all():
            raise LearningInputError("labels: only 1 (plant), 0 (not plant), -1 (unlabelled)")


@dataclass(frozen=True)
class CanopyClassifier:
    """A fitted plant / not-plant pixel classifier (``estimator``) and its training size."""

    estimator: HistGradientBoostingClassifier
    n_pixels: int
    threshold: float = 0.5  # a pixel is plant above this probability

    def plant_probability(self, rgb: RGB) -> NDArray[np.float64]:
        """The probability that each pixel of ``rgb`` shows plant (H×W, 0..1)."""
        features = pixel_features(rgb)
        with threadpool_limits(1):
            p = self.estimator.predict_proba(features)[:, 1]
        return np.asarray(p, dtype=np.float64).reshape(rgb.shape[:2])

    def plant_mask(self, rgb: RGB) -> NDArray[np.bool_]:
        """True where ``rgb`` shows plant: probability above :attr:`threshold` (H×W)."""
        return self.plant_probability(rgb) > self.threshold

    def cover(self, rgb: RGB) -> float:
        """Canopy cover of ``rgb`` (0..1): the fraction of its pixels classed as plant."""
        return float(np.mean(self.plant_mask(rgb)))


def _fit(x: NDArray[np.float32], y: NDArray[np.int8], seed: int) -> HistGradientBoostingClassifier:
    from sklearn.ensemble import HistGradientBoostingClassifier

    estimator = HistGradientBoostingClassifier(
        max_iter=120, max_leaf_nodes=31, learning_rate=0.15, early_stopping=False,
        random_state=seed,
    )  # fmt: skip
    with threadpool_limits(1):
        estimator.fit(x, y)
    return estimator


def _choose_threshold(
    samples: list[tuple[NDArray[np.float32], NDArray[np.int8], bool]], seed: int
) -> float:
    """The probability cut that makes the cover of unseen images right (2-fold over the
    fully labelled images; :data:`DEFAULT_THRESHOLD` with fewer than
    :data:`MIN_IMAGES_FOR_THRESHOLD`).

    Each fold's model (trained on the other images, partial labels included) classes the
    held-out images' sampled pixels; the cut that minimises the mean absolute cover error
    over all held-out images wins, the nearest to 0.5 among equals. A pixel at a leaf's
    edge or in its shadow is plant-like but not plant, so the per-pixel cut of 0.5
    overstates the cover a little; this takes that bias out.
    """
    full = [i for i, (_, _, whole) in enumerate(samples) if whole]
    if len(full) < MIN_IMAGES_FOR_THRESHOLD:
        return DEFAULT_THRESHOLD
    probs: list[NDArray[np.float64]] = []
    truths: list[float] = []
    # folds drawn at random: images come in patterns (films, light in turn) a stride would
    # split along, leaving a fold's model blind to what it is asked about
    order = [full[i] for i in np.random.default_rng(seed).permutation(len(full))]
    for fold in (order[0::2], order[1::2]):
        held = set(fold)
        x = np.concatenate([s[0] for i, s in enumerate(samples) if i not in held])
        y = np.concatenate([s[1] for i, s in enumerate(samples) if i not in held])
        if len(np.unique(y)) < 2:
            return DEFAULT_THRESHOLD
        estimator = _fit(x, y, seed)
        for i in fold:
            with threadpool_limits(1):
                probs.append(estimator.predict_proba(samples[i][0])[:, 1])
            truths.append(float(np.mean(samples[i][1])))
    grid = np.round(np.arange(0.3, 0.8001, 0.025), 3)
    errors = [
        float(np.mean([abs(float(np.mean(p > t)) - c) for p, c in zip(probs, truths, strict=True)]))
        for t in grid
    ]
    best = min(errors)
    return float(min((t for t, e in zip(grid, errors, strict=True) if e <= best + 1e-9),
                     key=lambda t: abs(t - DEFAULT_THRESHOLD)))  # fmt: skip


def fit_classifier(
    images: Sequence[LabelledImage], *, max_pixels_per_image: int = 4000, seed: int = 0
) -> CanopyClassifier:
    """Train on the labelled pixels of ``images`` (at most ``max_pixels_per_image`` drawn
    from each, so one big photo cannot outweigh the rest), with the probability cut chosen
    on held-out images (:func:`_choose_threshold`).

    Raises :class:`TooLittleDataError` with fewer than :data:`MIN_PIXELS_PER_CLASS` labelled
    pixels of plant or of ground.
    """
    rng = np.random.default_rng(seed)
    samples: list[tuple[NDArray[np.float32], NDArray[np.int8], bool]] = []
    for item in images:
        flat = item.labels.reshape(-1)
        labelled = np.flatnonzero(flat >= 0)
        if labelled.size == 0:
            continue
        pick = rng.choice(labelled, min(max_pixels_per_image, labelled.size), replace=False)
        samples.append((pixel_features(item.rgb)[pick], flat[pick], labelled.size == flat.size))
    y = np.concatenate([s[1] for s in samples]) if samples else np.zeros(0, np.int8)
    for value, name in ((1, "plant"), (0, "ground")):
        have = int(np.count_nonzero(y == value))
        if have < MIN_PIXELS_PER_CLASS:
            raise TooLittleDataError(
                f"{have} labelled {name} pixels, need {MIN_PIXELS_PER_CLASS}",
                have=have,
                need=MIN_PIXELS_PER_CLASS,
            )
    threshold = _choose_threshold(samples, seed)
    estimator = _fit(np.concatenate([s[0] for s in samples]), y, seed)
    return CanopyClassifier(estimator, int(y.size), threshold)
