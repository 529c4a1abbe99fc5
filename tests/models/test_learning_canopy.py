"""The canopy pixel classifier on held-out drawn scenes, against plain ExG, and persisted."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from drivers.sim.canopy import PLANT, SceneImage, varied_scenes
from models.learning.canopy import (
    FORMAT_VERSION,
    KIND,
    CanopyClassifier,
    LabelledImage,
    exg_otsu_cover,
    fit_classifier,
    pixel_features,
)
from models.learning.errors import LearningInputError, ModelFileError, TooLittleDataError
from models.learning.persist import Persisted, load_model, save_model


def _labelled(scene: SceneImage) -> LabelledImage:
    return LabelledImage(scene.as_seen(), (scene.classes == PLANT).astype(np.int8))


@pytest.fixture(scope="module")
def classifier() -> CanopyClassifier:
    rng = np.random.default_rng(11)
    covers = [float(c) for c in rng.uniform(0.0, 1.0, 16)]
    return fit_classifier([_labelled(s) for s in varied_scenes(covers, seed=11)])


@pytest.fixture(scope="module")
def held_out() -> list[SceneImage]:
    # both films, sun and overcast, bare to nearly closed (another seed than training)
    return varied_scenes([0.0, 0.05, 0.25, 0.45, 0.7, 0.9], seed=2026)


def test_held_out_cover_within_six_points_both_films(
    classifier: CanopyClassifier, held_out: list[SceneImage]
) -> None:
    errors = [abs(classifier.cover(s.as_seen()) - s.cover_fraction) for s in held_out]
    assert {s.scene.film for s in held_out} == {"white", "black"}
    assert max(errors) <= 0.06, errors
    assert float(np.mean(errors)) <= 0.03, errors


def test_plain_exg_fails_on_mulch_where_the_classifier_does_not(
    classifier: CanopyClassifier, held_out: list[SceneImage]
) -> None:
    exg = [abs(exg_otsu_cover(s.as_seen()) - s.cover_fraction) for s in held_out]
    ours = [abs(classifier.cover(s.as_seen()) - s.cover_fraction) for s in held_out]
    # the bare and sparse images: Otsu splits the film itself
    assert max(exg) > 0.2
    assert float(np.mean(exg)) > 3 * float(np.mean(ours))


def test_the_cut_is_chosen_on_held_out_images(classifier: CanopyClassifier) -> None:
    # leaf edges and shadows read as plant at 0.5: the held-out images move the cut up
    assert 0.5 <= classifier.threshold <= 0.8


def test_plant_mask_marks_the_leaves(
    classifier: CanopyClassifier, held_out: list[SceneImage]
) -> None:
    scene = held_out[3]
    mask = classifier.plant_mask(scene.as_seen())
    agree = float(np.mean(mask == scene.plant_mask))
    assert agree > 0.9


def test_user_labelled_strokes_train_too() -> None:
    # a few labelled pixels of each class, the rest unlabelled (-1)
    scenes = varied_scenes([0.3, 0.5], seed=5)
    items = []
    for s in scenes:
        labels = np.full(s.classes.shape, -1, np.int8)
        labels[s.classes == PLANT] = 1
        labels[s.classes != PLANT] = 0
        keep = np.random.default_rng(0).random(labels.shape) < 0.1
        labels[~keep] = -1
        items.append(LabelledImage(s.as_seen(), labels))
    model = fit_classifier(items)
    assert model.n_pixels == sum(int((i.labels >= 0).sum()) for i in items)
    assert model.threshold == 0.5  # no fully labelled image to choose the cut on
    test = varied_scenes([0.4], seed=9)[0]
    assert abs(model.cover(test.as_seen()) - test.cover_fraction) < 0.1


def test_too_few_plant_pixels_is_too_little_data() -> None:
    bare = varied_scenes([0.0, 0.0], seed=1)
    with pytest.raises(TooLittleDataError, match="plant") as info:
        fit_classifier([_labelled(s) for s in bare])
    assert info.value.have == 0


@pytest.mark.parametrize(
    ("image", "culprit"),
    [
        (np.zeros((12, 16), np.uint8), "shape"),
        (np.zeros((12, 16, 3), np.float64), "8-bit"),
        (np.zeros((12, 16, 4), np.uint8), "shape"),
        ("not an image", "8-bit"),
    ],
)
def test_features_refuse_what_is_not_an_rgb_image(image: object, culprit: str) -> None:
    with pytest.raises(LearningInputError, match=culprit):
        pixel_features(image)  # type: ignore[arg-type]


def test_labels_must_match_the_image() -> None:
    with pytest.raises(LearningInputError, match="labels"):
        LabelledImage(np.zeros((4, 4, 3), np.uint8), np.zeros((4, 5), np.int8))
    with pytest.raises(LearningInputError, match="labels"):
        LabelledImage(np.zeros((4, 4, 3), np.uint8), np.full((4, 4), 2, np.int8))


def test_persisted_and_loaded_predicts_the_same(
    classifier: CanopyClassifier, held_out: list[SceneImage], tmp_path: Path
) -> None:
    save_model(
        tmp_path,
        Persisted(KIND, "site", FORMAT_VERSION, dt.datetime(2026, 5, 1), classifier.n_pixels,
                  classifier),
    )  # fmt: skip
    loaded = load_model(tmp_path, KIND, "site", FORMAT_VERSION).payload
    rgb = held_out[2].as_seen()
    assert loaded.cover(rgb) == classifier.cover(rgb)
    with pytest.raises(ModelFileError):
        load_model(tmp_path, KIND, "site", FORMAT_VERSION + 1)
