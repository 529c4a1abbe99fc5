"""Demo boxes for the office tests: a real seeded store behind the real app and uvicorn.

The service is the read-only fake of the API tests with the seeded zones' areas: the
export reads the real store, the zones list gives the areas reports divide by.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select

from controller.config.site import M2_PER_MU
from controller.office.central import DATA_TABLES, CentralDB
from controller.office.export import TABLES, iter_rows
from controller.office.pull import SiteSpec
from controller.store import Store
from tests.helpers.browser import serving
from tests.helpers.fakes import FakeControlService
from tests.helpers.office.seed import ZONE_AREA_MU, open_store, seed_season
from web.app import create_app


@dataclass
class Box:
    site_id: str
    url: str
    token: str
    store: Store

    @property
    def spec(self) -> SiteSpec:
        return SiteSpec(self.site_id, self.url, self.token, timeout_s=10.0)


def service_for_seeded_zones() -> FakeControlService:
    service = FakeControlService()
    template = service.zones_by_name["z2"]
    service.zones_by_name = {
        name: replace(template, name=name, label=f"Zone {name}", area_m2=mu * M2_PER_MU)
        for name, mu in ZONE_AREA_MU.items()
    }
    return service


@contextmanager
def running_box(
    data_dir: Path, site_id: str, *, days: int = 30, readings_per_day: int = 24, seed: int = 1
) -> Iterator[Box]:
    """A seeded store served on a free port, with an ``office`` viewer token."""
    store = open_store(data_dir)
    try:
        seed_season(store, days=days, readings_per_day=readings_per_day, seed=seed)
        _, token = store.create_token("office", "viewer")
        with serving(create_app(service_for_seeded_zones(), store)) as url:
            yield Box(site_id, url, token, store)
    finally:
        store.close()


def box_rows(store: Store, table: str) -> list[dict[str, Any]]:
    """Every row of a box table as the export gives it."""
    return list(iter_rows(store, table))


def central_rows(db: CentralDB, site_id: str, table: str) -> list[dict[str, Any]]:
    """The central copy of one site's table, in the export's form (``id`` = box id)."""
    t = DATA_TABLES[table]
    query = select(t).where(t.c.site_id == site_id).order_by(t.c.source_id)
    out = []
    with db.connect() as conn:
        for row in conn.execute(query):
            values = dict(row._mapping)
            values.pop("pk")
            values.pop("site_id")
            values["id"] = values.pop("source_id")
            out.append({k: _export_form(v) for k, v in values.items()})
    return out


def _export_form(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def assert_exact(db: CentralDB, boxes: list[Box]) -> None:
    for box in boxes:
        for table in TABLES:
            assert central_rows(db, box.site_id, table) == box_rows(box.store, table), (
                box.site_id,
                table,
            )
