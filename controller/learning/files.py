"""Where the learned models of a box live: ``<data dir>/models`` beside its database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from controller.store import Store

__all__ = ["MODELS_DIR", "models_dir_of"]

MODELS_DIR = "models"  # under the data directory, beside the database


def models_dir_of(store: Store) -> Path | None:
    """``<data dir>/models`` for a store in a SQLite file (its directory is the data
    directory), else None (the models are then kept in memory only)."""
    url = make_url(store.url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).parent / MODELS_DIR
