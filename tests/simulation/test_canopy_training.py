"""The shipped canopy training set is the one the simulated camera draws, and reads back;
a referee season's camera photographs AquaCrop's canopy cover."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from PIL import Image

from controller.canopy.classifier import read_training_set, training_arrays
from controller.paths import bundled
from controller.simulation.canopy import (
    COUNT,
    referee_cover,
    training_covers,
    write_training_set,
)
from controller.simulation.referee.truth import AquaCropTruth
from drivers.sim.camera import SnapshotServer


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


def test_a_referee_zone_s_camera_sees_aquacrop_s_last_canopy_cover() -> None:
    field = SimpleNamespace(days=[])
    truth = AquaCropTruth(field, (40, 80))  # type: ignore[arg-type]
    assert referee_cover(truth) == 0.0  # nothing stepped yet: bare soil
    field.days += [SimpleNamespace(canopy_cover=0.12), SimpleNamespace(canopy_cover=0.31)]
    assert referee_cover(truth) == 0.31
    with SnapshotServer(lambda: referee_cover(truth)) as camera:
        jpeg = camera.snapshot_jpeg()
    with Image.open(io.BytesIO(jpeg)) as img:
        rgb = np.asarray(img.convert("RGB")).astype(int)
    green = (rgb[..., 1] > rgb[..., 0] + 15) & (rgb[..., 1] > rgb[..., 2] + 15)
    assert 0.15 < green.mean() < 0.5  # about a third of the ground in leaves
