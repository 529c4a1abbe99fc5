"""The central office database: every site's pulled logs in one place (SQLite or PostgreSQL).

:class:`CentralDB` opens it (tables made on first use); :mod:`controller.pull` fills it;
:mod:`controller.report` reads it.
"""

from controller.central.db import BadRows, CentralDB, CentralError, ZoneArea, office_url
from controller.central.tables import CURSORS, DATA_TABLES, METADATA, SITES, ZONES

__all__ = [
    "CURSORS",
    "DATA_TABLES",
    "METADATA",
    "SITES",
    "ZONES",
    "BadRows",
    "CentralDB",
    "CentralError",
    "ZoneArea",
    "office_url",
]
