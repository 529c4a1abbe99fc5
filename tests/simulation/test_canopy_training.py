"""The shipped canopy training set is the one the simulated camera draws, and reads back."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from controller.canopy.classifier import read_training_set, training_arrays
from controller.paths import bundled
from controller.simulation.canopy import COUNT, training_covers, write_training_set


def test_the_shipped_set_is_what_the_generator_writes(tmp_path: Path) -> None:
    shipped = read_training_set(bundled("controller.canopy", "data/training.npz"))
    fresh = read_training_set(write_training_set(tmp_path / "t.npz"))
    assert len(shipped) == len(fresh) == COUNT
    for a, b in zip(shipped, fresh, strict=True):
        assert np.array_equal(a.labels, b.labels)
        # the same drawing through JPEG; a different libjpeg may round a few values
        assert np.abs(a.rgb.astype(int) - b.rgb.astype(int)).mean() < 1.0
    covers = [float(np.mean(item.labels)) for item in shipped]
    assert min(covers) < 0.05 and max(covers) > 0.9  # bare to closed
    assert training_covers() == sorted(training_covers())


def test_partial_user_labels_read_back(tmp_path: Path) -> None:
    # a user's strokes on a PNG photo: a few pixels labelled, the rest -1, in labels_int8
    item = read_training_set(bundled("controller.canopy", "data/training.npz"))[3]
    buf = io.BytesIO()
    Image.fromarray(item.rgb).save(buf, format="PNG")
    arrays = training_arrays([(buf.getvalue(), item.labels.astype(bool))])
    del arrays["labels"]
    labels = np.full(item.labels.shape, -1, np.int8)
    labels[:5, :5] = item.labels[:5, :5]
    path = tmp_path / "strokes.npz"
    np.savez_compressed(path, labels_int8=labels.reshape(-1), **arrays)
    [read] = read_training_set(path)
    assert np.array_equal(read.labels, labels) and np.array_equal(read.rgb, item.rgb)
