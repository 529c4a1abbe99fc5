"""Learned models on disk, refused when they were written by another version.

A model file holds one :class:`Persisted`: its ``kind`` (e.g. ``"flow"``), the key it was
trained for (a zone, a probe), the format version of that kind, the scikit-learn version
that fitted it, when and on how many samples, and the fitted object. :func:`load_model`
refuses a file whose kind, format or scikit-learn version differs from what the caller
expects: a pickled estimator is only trusted by the version that wrote it, so the box
retrains instead (:class:`~models.learning.errors.ModelFileError`).

Files are written to a temporary name, flushed and renamed, so a crash leaves either the
old model or the new one, never half a file.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import sklearn

from models.learning.errors import ModelFileError

__all__ = ["Persisted", "load_model", "model_file", "save_model"]

_KEY = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class Persisted:
    """One learned model with what is needed to trust it again."""

    kind: str
    key: str
    format_version: int
    trained_at: dt.datetime
    n_samples: int
    payload: Any
    meta: dict[str, Any] = field(default_factory=dict)
    sklearn_version: str = sklearn.__version__


def model_file(directory: Path, kind: str, key: str) -> Path:
    """``directory/<kind>/<key>.joblib``, the key made safe for a file name."""
    return directory / kind / f"{_KEY.sub('_', key) or '_'}.joblib"


def save_model(directory: Path, model: Persisted) -> Path:
    """Write ``model`` atomically under ``directory``; returns the file written."""
    path = model_file(directory, model.kind, model.key)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as f:
        joblib.dump(model, f)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)
    return path


def load_model(directory: Path, kind: str, key: str, format_version: int) -> Persisted:
    """The model of ``kind`` for ``key``, if written by this format and scikit-learn version.

    Raises :class:`ModelFileError` naming the file when it is missing, unreadable, of another
    kind or key, or of another format or scikit-learn version.
    """
    path = model_file(directory, kind, key)
    if not path.exists():
        raise ModelFileError(f"no {kind} model for {key!r} at {path}", path=str(path))
    try:
        model = joblib.load(path)
    except Exception as exc:  # a truncated or foreign file: any unpickling error
        raise ModelFileError(f"{path}: unreadable ({exc})", path=str(path)) from exc
    if not isinstance(model, Persisted) or (model.kind, model.key) != (kind, key):
        raise ModelFileError(f"{path}: not a {kind} model for {key!r}", path=str(path))
    if model.format_version != format_version:
        raise ModelFileError(
            f"{path}: format {model.format_version}, this version reads {format_version}",
            path=str(path),
        )
    if model.sklearn_version != sklearn.__version__:
        raise ModelFileError(
            f"{path}: fitted by scikit-learn {model.sklearn_version}, "
            f"this box runs {sklearn.__version__}",
            path=str(path),
        )
    return model
