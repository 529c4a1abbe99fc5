"""Top-down field-camera images of maize on plastic mulch, drawn from a canopy cover fraction.

The simulated camera of a zone photographs what the season's truth says the canopy covers
(the referee's AquaCrop canopy cover in simulated seasons). The scene is drip under mulch:
film strips (white or black, with specular glare and wrinkles) along the rows, bare soil
furrows between them, maize plants in the middle of each strip whose leaves (narrow, pointed,
in varied greens) grow longer and more numerous with the cover. Light varies: a sunny scene is
brighter or darker with the sun's angle and has cast shadows of the leaves on the ground and
glare on the film; an overcast one is flat and bluish.

Leaves are drawn until the fraction of plant pixels reaches the asked cover, so the truth of
an image is exact: ``plant_mask`` marks the pixels drawn as plant and ``cover_fraction`` is
their fraction. Deterministic for a seed; numpy and Pillow only.
"""

from __future__ import annotations

import colorsys
import io
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

__all__ = ["FILMS", "LIGHTS", "Scene", "SceneImage", "draw_scene", "varied_scenes"]

Film = Literal["white", "black"]
Light = Literal["sun", "overcast"]
FILMS: tuple[Film, ...] = ("white", "black")
LIGHTS: tuple[Light, ...] = ("sun", "overcast")

# Classes of a scene's pixels (``SceneImage.classes``).
SOIL, FILM, PLANT = 0, 1, 2

_MAX_LEAVES = 4000  # a bound on the drawing loop; the highest covers need a few hundred


@dataclass(frozen=True)
class Scene:
    """What to draw: the cover fraction (0..1), the film, the light and the image size (px).

    ``brightness`` scales the sunlit scene (sun angle: 0.6 low sun .. 1.2 bright noon);
    ``row_spacing_px`` is the distance between film strips' centres.
    """

    cover: float
    film: Film = "white"
    light: Light = "sun"
    brightness: float = 1.0
    width_px: int = 160
    height_px: int = 120
    row_spacing_px: int = 40
    seed: int = 0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.cover) and 0.0 <= self.cover <= 1.0):
            raise ValueError(f"cover = {self.cover!r}: a fraction 0..1")
        if self.film not in FILMS:
            raise ValueError(f"film = {self.film!r}: one of {', '.join(FILMS)}")
        if self.light not in LIGHTS:
            raise ValueError(f"light = {self.light!r}: one of {', '.join(LIGHTS)}")
        if not 0.3 <= self.brightness <= 1.5:
            raise ValueError(f"brightness = {self.brightness!r}: 0.3..1.5")
        if not (16 <= self.width_px <= 4096 and 16 <= self.height_px <= 4096):
            raise ValueError(f"size {self.width_px}x{self.height_px} px: 16..4096 each side")
        if not 8 <= self.row_spacing_px <= self.width_px:
            raise ValueError(f"row_spacing_px = {self.row_spacing_px}: 8..width")


@dataclass(frozen=True)
class SceneImage:
    """A drawn scene: ``rgb`` (H×W×3 uint8), ``classes`` (H×W: SOIL, FILM, PLANT) and the
    exact plant fraction ``cover_fraction`` (0..1)."""

    scene: Scene
    rgb: NDArray[np.uint8]
    classes: NDArray[np.uint8]

    @property
    def plant_mask(self) -> NDArray[np.bool_]:
        return self.classes == PLANT

    @property
    def cover_fraction(self) -> float:
        return float(np.count_nonzero(self.classes == PLANT)) / self.classes.size

    def jpeg(self, quality: int = 90) -> bytes:
        """The image as a camera sends it: JPEG bytes (colour at half resolution, 4:2:0,
        as cameras send it)."""
        buf = io.BytesIO()
        Image.fromarray(self.rgb, "RGB").save(buf, format="JPEG", quality=quality)
        return buf.getvalue()

    def as_seen(self, quality: int = 90) -> NDArray[np.uint8]:
        """The pixels the box decodes from :meth:`jpeg` (H×W×3 uint8)."""
        with Image.open(io.BytesIO(self.jpeg(quality))) as img:
            return np.asarray(img.convert("RGB"), dtype=np.uint8)


def _film_mask(scene: Scene) -> NDArray[np.bool_]:
    """True where film lies: strips 70 % of the row spacing wide, centred on the rows."""
    x = np.arange(scene.width_px)
    offset = scene.row_spacing_px / 2
    distance = np.abs((x - offset + scene.row_spacing_px / 2) % scene.row_spacing_px - offset)
    strip = distance < 0.35 * scene.row_spacing_px
    return np.broadcast_to(strip, (scene.height_px, scene.width_px)).copy()


def _smooth_noise(rng: np.random.Generator, h: int, w: int, cell_px: int) -> NDArray[np.float64]:
    """Low-frequency noise in -1..1: a coarse random grid upsampled bilinearly."""
    coarse = rng.uniform(-1, 1, (h // cell_px + 2, w // cell_px + 2)).astype(np.float32)
    img = Image.fromarray(coarse, "F").resize(
        (w + 2 * cell_px, h + 2 * cell_px), Image.Resampling.BILINEAR
    )
    return np.asarray(img, dtype=np.float64)[cell_px : cell_px + h, cell_px : cell_px + w]


def _ground(scene: Scene, rng: np.random.Generator, film: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Soil and film colours (0..255 floats) before light and plants."""
    h, w = scene.height_px, scene.width_px
    rgb = np.empty((h, w, 3))
    soil_tone = rng.uniform(0.75, 1.15)  # dry light soil .. moist dark soil
    soil = np.array([128.0, 100.0, 74.0]) * soil_tone
    texture = _smooth_noise(rng, h, w, 6) * 14 + rng.normal(0, 9, (h, w))
    rgb[:] = soil + texture[..., None]
    if scene.film == "white":
        base = np.array([226.0, 229.0, 232.0]) + rng.uniform(-12, 8)
        wrinkle = _smooth_noise(rng, h, w, 4) * 16
    else:
        base = np.array([30.0, 30.0, 34.0]) + rng.uniform(-6, 10)
        wrinkle = _smooth_noise(rng, h, w, 4) * 10
    film_rgb = base + (wrinkle + rng.normal(0, 4, (h, w)))[..., None]
    rgb[film] = film_rgb[film]
    return rgb


def _glare(scene: Scene, rng: np.random.Generator, film: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Specular glare on the film (0..1 weights): a few soft bright blotches."""
    h, w = scene.height_px, scene.width_px
    yy, xx = np.mgrid[0:h, 0:w]
    glare = np.zeros((h, w))
    for _ in range(int(rng.integers(2, 6))):
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        sx, sy = rng.uniform(3, 12), rng.uniform(3, 18)
        glare += rng.uniform(0.5, 1.0) * np.exp(
            -(((xx - cx) / sx) ** 2 + ((yy - cy) / sy) ** 2) / 2
        )
    return np.clip(glare, 0, 1) * film


def _leaf_polygon(
    x0: float, y0: float, angle: float, length: float, width: float, bend: float
) -> list[tuple[float, float]]:
    """A maize leaf from its base: narrow, widest near a third of its length, pointed, bent."""
    steps = 7
    left, right = [], []
    for i in range(steps + 1):
        t = i / steps
        half = width / 2 * math.sin(math.pi * min(1.0, t * 1.4)) ** 0.7 * (1 - 0.6 * t)
        a = angle + bend * t * t
        cx, cy = x0 + length * t * math.cos(a), y0 + length * t * math.sin(a)
        nx, ny = -math.sin(a), math.cos(a)
        left.append((cx + half * nx, cy + half * ny))
        right.append((cx - half * nx, cy - half * ny))
    return left + right[::-1]


def _leaf_colours(rng: np.random.Generator, n: int) -> NDArray[np.float64]:
    """``n`` leaf greens (0..255): hue 70-135°, varied saturation and value."""
    out = np.empty((n, 3))
    for i in range(n):
        hue = rng.uniform(70, 135) / 360
        sat = rng.uniform(0.45, 0.85)
        val = rng.uniform(0.35, 0.85)
        out[i] = np.array(colorsys.hsv_to_rgb(hue, sat, val)) * 255
    return out


def _draw_leaves(
    scene: Scene, rng: np.random.Generator
) -> tuple[NDArray[np.int32], NDArray[np.float64]]:
    """Leaf index per pixel (0 = none) until the plant fraction reaches the scene's cover."""
    h, w = scene.height_px, scene.width_px
    label = Image.new("I", (w, h), 0)
    draw = ImageDraw.Draw(label)
    if scene.cover <= 0.0:
        return np.zeros((h, w), np.int32), np.zeros((1, 3))
    spacing = scene.row_spacing_px
    rows = np.arange(spacing / 2, w, spacing)
    step = spacing * 0.55
    plants = [
        (x + rng.normal(0, 1.0), y + rng.normal(0, 1.5))
        for x in rows
        for y in np.arange(rng.uniform(0, step), h, step)
    ]
    length = spacing * (0.3 + 0.9 * math.sqrt(scene.cover))
    target = math.ceil(scene.cover * h * w)
    n = 0
    while n < _MAX_LEAVES:
        x0, y0 = (
            plants[n % len(plants)] if n < 4 * len(plants) else plants[rng.integers(len(plants))]
        )
        n += 1
        poly = _leaf_polygon(
            x0,
            y0,
            rng.uniform(0, 2 * math.pi),
            length * rng.uniform(0.6, 1.2),
            max(2.0, length * rng.uniform(0.12, 0.2)),
            rng.uniform(-0.6, 0.6),
        )
        draw.polygon(poly, fill=n)
        if np.count_nonzero(np.asarray(label)) >= target:
            break
    return np.asarray(label, dtype=np.int32), _leaf_colours(rng, n + 1)


def draw_scene(scene: Scene) -> SceneImage:
    """Draw ``scene``; deterministic for its seed."""
    rng = np.random.default_rng(scene.seed)
    h, w = scene.height_px, scene.width_px
    film = _film_mask(scene)
    rgb = _ground(scene, rng, film)
    leaves, colours = _draw_leaves(scene, rng)
    plant = leaves > 0
    sunny = scene.light == "sun"
    if sunny:
        # leaves cast shadows on the ground, offset away from the sun
        angle = rng.uniform(0, 2 * math.pi)
        reach = rng.uniform(2, 6) / scene.brightness
        dx, dy = round(reach * math.cos(angle)), round(reach * math.sin(angle))
        shadow = np.roll(np.roll(plant, dy, axis=0), dx, axis=1) & ~plant
        rgb[shadow] *= rng.uniform(0.45, 0.65)
        glare = _glare(scene, rng, film)
        rgb += (255 - rgb) * glare[..., None] * (0.9 if scene.film == "white" else 0.6)
    shade = _smooth_noise(rng, h, w, 10) * 0.15 + 1.0  # leaves turned to or from the light
    leaf_rgb = colours[leaves] * shade[..., None]
    rgb[plant] = leaf_rgb[plant]
    if sunny:
        rgb *= scene.brightness
    else:
        grey = rgb.mean(axis=2, keepdims=True)
        rgb = (0.75 * rgb + 0.25 * grey) * rng.uniform(0.55, 0.8) + np.array([0.0, 4.0, 12.0])
    rgb += rng.normal(0, 3, rgb.shape)  # sensor noise
    classes = np.where(plant, PLANT, np.where(film, FILM, SOIL)).astype(np.uint8)
    return SceneImage(scene, np.clip(rgb, 0, 255).astype(np.uint8), classes)


def varied_scenes(
    covers: list[float], seed: int, *, width_px: int = 160, height_px: int = 120
) -> list[SceneImage]:
    """One scene per cover, films alternating (white, black), sun and overcast in turn, the
    sun's brightness and every drawing drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    scenes = []
    for i, cover in enumerate(covers):
        scene = Scene(
            cover=cover,
            film=FILMS[i % 2],
            light=LIGHTS[(i // 2) % 2],
            brightness=float(rng.uniform(0.6, 1.2)),
            width_px=width_px,
            height_px=height_px,
            seed=int(rng.integers(2**31)),
        )
        scenes.append(draw_scene(scene))
    return scenes
