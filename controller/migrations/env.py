"""Alembic environment for the store: always run on a connection qanat hands over.

:mod:`controller.store.migrate` opens the connection (with the store's SQLite
settings) and passes it in ``config.attributes["connection"]``; there is no
``alembic.ini`` with a URL, so the ``alembic`` command line is not the way in —
use ``qanat migrate``.
"""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import controller.store.tables  # noqa: F401  (registers every table on SQLModel.metadata)

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `qanat migrate` (controller.store.migrate)")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,  # SQLite alters tables by copy-and-move
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
