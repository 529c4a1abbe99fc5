"""The simulated field camera's drawings: exact truth, deterministic, films and light apart."""

from __future__ import annotations

import numpy as np
import pytest

from drivers.sim.canopy import FILM, PLANT, SOIL, Scene, draw_scene, varied_scenes


@pytest.mark.parametrize("cover", [0.0, 0.05, 0.35, 0.7, 0.95])
@pytest.mark.parametrize("film", ["white", "black"])
def test_drawn_plant_fraction_is_the_asked_cover(cover: float, film: str) -> None:
    drawn = draw_scene(Scene(cover=cover, film=film, seed=7))  # type: ignore[arg-type]
    # leaves are added until the plant pixels reach the cover: at most one leaf over
    assert cover <= drawn.cover_fraction <= cover + 0.01
    assert drawn.cover_fraction == np.count_nonzero(drawn.classes == PLANT) / (160 * 120)
    assert drawn.plant_mask.sum() == np.count_nonzero(drawn.classes == PLANT)


def test_same_seed_same_image_other_seed_other_image() -> None:
    a = draw_scene(Scene(cover=0.4, seed=3))
    b = draw_scene(Scene(cover=0.4, seed=3))
    c = draw_scene(Scene(cover=0.4, seed=4))
    assert np.array_equal(a.rgb, b.rgb) and np.array_equal(a.classes, b.classes)
    assert not np.array_equal(a.classes, c.classes)


def test_film_strips_and_soil_furrows_are_where_the_rows_are() -> None:
    white = draw_scene(Scene(cover=0.0, film="white", light="overcast", seed=1))
    black = draw_scene(Scene(cover=0.0, film="black", light="overcast", seed=1))
    film = white.classes == FILM
    assert 0.6 < film.mean() < 0.8 and (white.classes == SOIL).any()
    # the same column is film from the top to the bottom (strips along the rows)
    assert (film.all(axis=0) | (~film).all(axis=0)).all()
    assert white.rgb[film].mean() > 170 > black.rgb[film].mean() + 100
    soil = white.classes == SOIL
    assert white.rgb[soil][:, 0].mean() > white.rgb[soil][:, 2].mean() + 10  # brown


def test_plants_are_green_and_sun_brings_glare_and_shadows() -> None:
    sun = draw_scene(Scene(cover=0.3, film="black", light="sun", brightness=1.0, seed=5))
    dull = draw_scene(Scene(cover=0.3, film="black", light="overcast", seed=5))
    leaf = sun.rgb[sun.plant_mask].astype(float)
    assert (leaf[:, 1] > leaf[:, 0]).mean() > 0.9 and (leaf[:, 1] > leaf[:, 2]).mean() > 0.9
    film_sun = sun.rgb[sun.classes == FILM].astype(float).mean(axis=1)
    film_dull = dull.rgb[dull.classes == FILM].astype(float).mean(axis=1)
    assert film_sun.max() > 120 > film_dull.max()  # specular glare on black film
    soil = sun.classes == SOIL
    # cast shadows: some soil pixels far darker than the soil's median
    lum = sun.rgb.astype(float).mean(axis=2)
    assert (lum[soil] < 0.7 * np.median(lum[soil])).mean() > 0.02


def test_brightness_scales_the_sunlit_scene() -> None:
    low = draw_scene(Scene(cover=0.2, brightness=0.6, seed=2))
    high = draw_scene(Scene(cover=0.2, brightness=1.2, seed=2))
    assert low.rgb.mean() < 0.75 * high.rgb.mean()


def test_varied_scenes_alternate_films_and_light() -> None:
    scenes = varied_scenes([0.1, 0.2, 0.3, 0.4], seed=1)
    assert [s.scene.film for s in scenes] == ["white", "black", "white", "black"]
    assert [s.scene.light for s in scenes] == ["sun", "sun", "overcast", "overcast"]
    assert scenes[0].as_seen().shape == (120, 160, 3)


@pytest.mark.parametrize(
    ("kwargs", "culprit"),
    [
        ({"cover": 1.1}, "cover"),
        ({"cover": float("nan")}, "cover"),
        ({"cover": 0.5, "film": "green"}, "film"),
        ({"cover": 0.5, "light": "night"}, "light"),
        ({"cover": 0.5, "brightness": 3.0}, "brightness"),
        ({"cover": 0.5, "width_px": 8}, "size"),
    ],
)
def test_scene_refuses_what_it_cannot_draw(kwargs: dict[str, object], culprit: str) -> None:
    with pytest.raises(ValueError, match=culprit):
        Scene(**kwargs)  # type: ignore[arg-type]
