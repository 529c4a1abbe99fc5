"""The box's canopy classifier: the persisted model, else trained from the shipped set.

The first estimate loads ``<data dir>/models/canopy/site.joblib``
(:mod:`models.learning.persist`); when it is missing or refused (another format or
scikit-learn version) the box trains :func:`models.learning.canopy.fit_classifier` on the
labelled images shipped with it (``controller/canopy/data/training.npz``: drawn maize on
white and black mulch, sun and overcast, as a camera sends them) plus any a user labelled
(``<data dir>/canopy/labels/*.npz``, the same format), and saves the model. Training takes
a few seconds on the box, once.

The set's format (numpy ``.npz``, no pickled objects): ``jpeg`` all photos' bytes end to
end with ``offsets`` (N+1 positions), ``labels`` each photo's labels packed by
:func:`numpy.packbits` (1 plant, 0 not plant, every pixel labelled) with ``shapes``
(N×2, height and width), or, for a user's strokes on some pixels only, ``labels_int8``
instead (1, 0, −1 unlabelled) flattened end to end.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from controller.paths import bundled
from models.learning import ModelFileError, Persisted, load_model, save_model
from models.learning.canopy import (
    FORMAT_VERSION,
    KIND,
    CanopyClassifier,
    LabelledImage,
    fit_classifier,
)
from models.learning.errors import LearningInputError

__all__ = ["KEY", "CanopyModel", "read_training_set", "training_arrays"]

KEY = "site"
log = logging.getLogger(__name__)


def training_arrays(images: Sequence[tuple[bytes, np.ndarray]]) -> dict[str, np.ndarray]:
    """The ``.npz`` arrays of photos (JPEG or PNG bytes) with full plant masks (bool H×W)."""
    offsets = np.cumsum([0, *(len(photo) for photo, _ in images)])
    return {
        "jpeg": np.frombuffer(b"".join(photo for photo, _ in images), np.uint8),
        "offsets": offsets.astype(np.int64),
        "shapes": np.array([mask.shape for _, mask in images], np.int32).reshape(-1, 2),
        "labels": np.concatenate([np.packbits(mask.astype(bool)) for _, mask in images]),
    }


def read_training_set(path: Path) -> list[LabelledImage]:
    """The labelled images of a training set file (see the module's format)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            photos, offsets, shapes = data["jpeg"], data["offsets"], data["shapes"]
            if "labels_int8" in data:
                partial: np.ndarray | None = data["labels_int8"]
                packed = np.zeros(0, np.uint8)
            else:
                partial, packed = None, data["labels"]
    except (OSError, ValueError, KeyError) as exc:
        raise LearningInputError(f"{path}: not a canopy training set ({exc})") from exc
    out, at, bit = [], 0, 0
    for i, (height, width) in enumerate(shapes):
        blob = photos[offsets[i] : offsets[i + 1]].tobytes()
        try:
            with Image.open(io.BytesIO(blob), formats=("JPEG", "PNG")) as img:
                rgb = np.asarray(img.convert("RGB"), dtype=np.uint8)
        except (OSError, ValueError, SyntaxError) as exc:
            raise LearningInputError(f"{path}: photo {i} unreadable ({exc})") from exc
        n = int(height) * int(width)
        if partial is not None:
            labels = partial[at : at + n]
            at += n
        else:
            start = bit // 8
            labels = np.unpackbits(packed[start : start + (n + 7) // 8])[:n].astype(np.int8)
            bit = (start + (n + 7) // 8) * 8
        if labels.size != n:
            raise LearningInputError(f"{path}: photo {i} has {labels.size} labels, not {n}")
        out.append(LabelledImage(rgb, labels.reshape(int(height), int(width)).astype(np.int8)))
    return out


class CanopyModel:
    """The classifier the estimates use, loaded or trained once, then kept."""

    def __init__(
        self,
        models_dir: Path | None,
        labels_dir: Path | None = None,
        *,
        training: Path | None = None,
    ) -> None:
        self.models_dir = models_dir
        self.labels_dir = labels_dir
        self.training = training or bundled("controller.canopy", "data/training.npz")
        self._lock = threading.Lock()
        self._model: CanopyClassifier | None = None

    def get(self, now: dt.datetime) -> CanopyClassifier:
        """The classifier; loads or trains it on first use. Raises
        :class:`~models.learning.errors.LearnedModelError` (or ``LearningInputError``) when
        neither works."""
        with self._lock:
            if self._model is None:
                self._model = self._load() or self._train(now)
            return self._model

    def _load(self) -> CanopyClassifier | None:
        if self.models_dir is None:
            return None
        try:
            payload = load_model(self.models_dir, KIND, KEY, FORMAT_VERSION).payload
        except ModelFileError as exc:
            log.info("canopy: training the classifier (%s)", exc)
            return None
        return payload if isinstance(payload, CanopyClassifier) else None

    def _train(self, now: dt.datetime) -> CanopyClassifier:
        images = read_training_set(self.training)
        user = sorted(self.labels_dir.glob("*.npz")) if self.labels_dir is not None else []
        for path in user:
            images += read_training_set(path)
        model = fit_classifier(images)
        if self.models_dir is not None:
            meta = {"training": str(self.training), "user_sets": [p.name for p in user]}
            save_model(
                self.models_dir,
                Persisted(KIND, KEY, FORMAT_VERSION, now, model.n_pixels, model, meta),
            )
        return model
