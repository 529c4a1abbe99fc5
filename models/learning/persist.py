"""Learned models on disk, refused when they were written by another version.

A model file holds one :class:`Persisted`: its ``kind`` (e.g. ``"flow"``), the key it was
trained for (a zone, a probe), the format version of that kind, the scikit-learn version
that fitted it when it holds scikit-learn objects, when and on how many samples, and the
fitted object. :func:`load_model` refuses a file whose kind, format or scikit-learn version
differs from what the caller expects: a pickled estimator is only trusted by the version
that wrote it, so the box retrains instead (:class:`~models.learning.errors.ModelFileError`).

A model of plain numbers (the flow signatures) never imports scikit-learn: its version is
neither stamped nor checked, and a caller that expects plain numbers (``plain=True``) reads
the file without importing any scikit-learn class it names (an older format that pickled an
estimator is refused as of another format, and retrained).

Files are written to a temporary name, flushed and renamed, so a crash leaves either the
old model or the new one, never half a file.
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import joblib

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
    sklearn_version: str | None = None  # stamped by save_model when it holds sklearn objects


def model_file(directory: Path, kind: str, key: str) -> Path:
    """``directory/<kind>/<key>.joblib``, the key made safe for a file name."""
    return directory / kind / f"{_KEY.sub('_', key) or '_'}.joblib"


def save_model(directory: Path, model: Persisted) -> Path:
    """Write ``model`` atomically under ``directory``; returns the file written."""
    if model.sklearn_version is None and _holds_sklearn(model):
        model = replace(model, sklearn_version=sys.modules["sklearn"].__version__)
    path = model_file(directory, model.kind, model.key)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as f:
        joblib.dump(model, f)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)
    return path


def load_model(
    directory: Path, kind: str, key: str, format_version: int, *, plain: bool = False
) -> Persisted:
    """The model of ``kind`` for ``key``, if written by this format and scikit-learn version.

    ``plain``: this format holds no scikit-learn object, so none is imported while reading
    (a file that names one is refused). Raises :class:`ModelFileError` naming the file when
    it is missing, unreadable, of another kind or key, or of another format or scikit-learn
    version.
    """
    path = model_file(directory, kind, key)
    if not path.exists():
        raise ModelFileError(f"no {kind} model for {key!r} at {path}", path=str(path))
    absent: list[str] = []
    try:
        model = _load_plain(path, absent) if plain else joblib.load(path)
    except Exception as exc:  # a truncated or foreign file: any unpickling error
        raise ModelFileError(f"{path}: unreadable ({exc})", path=str(path)) from exc
    if not isinstance(model, Persisted) or (model.kind, model.key) != (kind, key):
        raise ModelFileError(f"{path}: not a {kind} model for {key!r}", path=str(path))
    if model.format_version != format_version:
        raise ModelFileError(
            f"{path}: format {model.format_version}, this version reads {format_version}",
            path=str(path),
        )
    if absent or (plain and model.sklearn_version is not None):
        what = absent[0] if absent else f"fitted by scikit-learn {model.sklearn_version}"
        raise ModelFileError(
            f"{path}: holds scikit-learn objects ({what}), this format holds plain numbers",
            path=str(path),
        )
    if model.sklearn_version is not None:
        import sklearn  # only a file that holds scikit-learn objects, already imported by it

        if model.sklearn_version != sklearn.__version__:
            raise ModelFileError(
                f"{path}: fitted by scikit-learn {model.sklearn_version}, "
                f"this box runs {sklearn.__version__}",
                path=str(path),
            )
    return model


def _is_sklearn(module: object) -> bool:
    return isinstance(module, str) and module.split(".", 1)[0] == "sklearn"


class _Finder(pickle.Pickler):
    """Walks an object as pickling would, noting whether anything in it is scikit-learn's."""

    def __init__(self) -> None:
        super().__init__(_Discard(), protocol=pickle.HIGHEST_PROTOCOL)
        self.found = False

    def reducer_override(self, obj: Any) -> Any:
        if _is_sklearn(getattr(type(obj), "__module__", None)) or (
            isinstance(obj, type) and _is_sklearn(obj.__module__)
        ):
            self.found = True
        return NotImplemented


class _Discard:
    def write(self, data: bytes) -> int:
        return len(data)


def _holds_sklearn(model: Persisted) -> bool:
    """Whether ``model`` holds a scikit-learn object (none can unless sklearn is imported)."""
    if "sklearn" not in sys.modules:
        return False
    finder = _Finder()
    finder.dump(model)
    return finder.found


class _Absent:
    """Stands in for a scikit-learn class a plain file names, so it is never imported."""

    def __setstate__(self, state: Any) -> None:
        pass


def _load_plain(path: Path, absent: list[str]) -> Any:
    """``joblib.load`` of an uncompressed file (as :func:`save_model` writes), each
    scikit-learn class it names replaced by :class:`_Absent` and listed in ``absent``."""
    from joblib.numpy_pickle import NumpyUnpickler

    class Plain(NumpyUnpickler):
        def find_class(self, module: str, name: str) -> Any:
            if _is_sklearn(module):
                absent.append(f"{module}.{name}")
                return _Absent
            return super().find_class(module, name)

    with path.open("rb") as f:
        return Plain(str(path), f, ensure_native_byte_order=False).load()
