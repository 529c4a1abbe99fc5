"""The central office database: every site's pulled logs in one place (SQLite or PostgreSQL).

:class:`CentralDB` opens it (tables made on first use); :mod:`controller.office.pull` fills it;
:mod:`controller.office.report` reads it.
"""

from controller.office.central.db import (
    BadRows,
    CentralDB,
    CentralError,
    FailedPull,
    ZoneArea,
    office_url,
)
from controller.office.central.tables import CURSORS, DATA_TABLES, METADATA, SITES, ZONES

__all__ = [
    "CURSORS",
    "DATA_TABLES",
    "METADATA",
    "SITES",
    "ZONES",
    "BadRows",
    "CentralDB",
    "CentralError",
    "FailedPull",
    "ZoneArea",
    "office_url",
]
