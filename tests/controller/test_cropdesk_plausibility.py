"""A stage record the degree days since sowing make implausible is refused naming the stage,
the date, the degree days and what the stage expects, unless confirmed; a confirmed one is
kept, audited and shown as confirmed; a record deleted takes this season's records of its
stage with it, never an earlier season's (a real store, the demo site: seed corn sown 20 Apr,
the station at 12-28 °C: 10 °C·d a day)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from controller.agronomy.jobs import Agronomy
from controller.clock import VirtualClock
from controller.config.site import SiteConfig, load_site
from controller.daemon.cropdesk import CropDesk
from controller.daemon.protocol import ObservationRefused, UnknownName
from controller.store import CropObservation, Store
from tests.helpers.agronomy import DAY1, local, weather_day
from tests.helpers.photos import jpeg_bytes
from tests.helpers.site import DEMO_SITE

SOWN = dt.date(2026, 4, 20)  # z1; DAY1 (1 Jun) is day 42
SEEN = dt.date(2026, 5, 31)  # day 41: 410 °C·d since sowing


def audit_rows(store: Store) -> list[Any]:
    return list(store.rows_after("audit", 0))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'q.db'}", clock=VirtualClock(local(DAY1, 6)))
    yield s
    s.close()


@pytest.fixture
def desk(store: Store, tmp_path: Path) -> CropDesk:
    site: SiteConfig = load_site(DEMO_SITE)
    for k in range((DAY1 - SOWN).days):
        weather_day(store, SOWN + dt.timedelta(days=k))
    agro = Agronomy(site, store, VirtualClock(local(DAY1, 6)))
    zones = {z.name: z for z in site.zones}
    return CropDesk(store, agro.crop_clock, lambda: zones, lambda: DAY1, tmp_path)


def test_emergence_on_a_crop_past_jointing_is_refused_then_kept_when_confirmed(
    desk: CropDesk, store: Store
) -> None:
    with pytest.raises(ObservationRefused) as refused:
        desk.add("z1", "VE", SEEN, "", None, "li")
    assert refused.value.field == "stage"
    assert str(refused.value) == (
        "VE on 2026-05-31 has 410 °C·d since sowing, where VE comes at about 65 °C·d "
        "(accepted 32-265): confirm that the crop really is at this stage to keep it"
    )
    assert refused.value.coded is not None and refused.value.coded.code == "implausible_gdd"
    assert store.crop_observations("z1") == []
    before = desk.view("z1")["today"]["crop_day"]
    made = desk.add("z1", "VE", SEEN, "checked twice", None, "li", confirm=True)
    assert made.stage == "VE" and [o.stage for o in store.crop_observations("z1")] == ["VE"]
    (audit,) = [a for a in audit_rows(store) if a.action == "crop.observe"]
    assert audit.detail["confirmed_against"] == "gdd"
    view = desk.view("z1")
    assert view["today"]["crop_day"] < before  # kept: the crop follows it
    shown = {s["stage"]: s["confirmed_against_prediction"] for s in view["stages"]}
    assert shown["VE"] is True and shown["V6"] is False


def test_a_plausible_stage_needs_no_confirmation(desk: CropDesk, store: Store) -> None:
    made = desk.add("z1", "jointing", SEEN, "", None, "li")  # 410 °C·d: 112-450 for jointing
    assert made.stage == "jointing"
    (audit,) = [a for a in audit_rows(store) if a.action == "crop.observe"]
    assert "confirmed_against" not in audit.detail
    shown = {s["stage"]: s["confirmed_against_prediction"] for s in desk.view("z1")["stages"]}
    assert shown["jointing"] is False


def test_with_the_degree_days_counted_the_calendar_does_not_refuse(
    desk: CropDesk, store: Store
) -> None:
    """Tasselling on day 41 is 42 days before the calendar's day 83, but its 410 °C·d are
    within the band of its 700 (350-1400): the degree days, counted, alone judge (what the
    rule gives up for the late-sown crop it no longer refuses)."""
    made = desk.add("z1", "tasseling", SEEN, "", None, "li")
    assert made.stage == "tasseling"
    (audit,) = [a for a in audit_rows(store) if a.action == "crop.observe"]
    assert "confirmed_against" not in audit.detail


def test_deleting_a_record_keeps_the_earlier_seasons_records_of_its_stage(
    desk: CropDesk, store: Store, tmp_path: Path
) -> None:
    """Last season's VE (with its photo) is not a record this season's VE replaced."""
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "z1-VE-last.jpg").write_bytes(jpeg_bytes())
    last = store.add_crop_observation(
        CropObservation(
            zone="z1",
            stage="VE",
            observed_on=dt.date(2025, 5, 6),
            photo="z1-VE-last.jpg",
            entered_by="li",
        )
    )
    made = desk.add("z1", "VE", dt.date(2026, 4, 27), "", jpeg_bytes(), "li")  # 70 °C·d
    desk.delete("z1", made.id, "li")
    assert [o.id for o in store.crop_observations("z1")] == [last.id]
    assert (tmp_path / "photos" / "z1-VE-last.jpg").read_bytes() == jpeg_bytes()
    assert [p.name for p in (tmp_path / "photos").iterdir()] == ["z1-VE-last.jpg"]
    with pytest.raises(UnknownName):  # not a record of this season: the desk has none such
        desk.delete("z1", last.id or 0, "li")
    assert [o.id for o in store.crop_observations("z1")] == [last.id]


def _shown(desk: CropDesk, key: str) -> dict[str, Any]:
    return {s["stage"]: s[key] for s in desk.view("z1")["stages"]}


def test_only_a_record_the_technician_confirmed_is_shown_confirmed(
    desk: CropDesk, store: Store
) -> None:
    """A record stored without the desk's check (from before the rule) is implausible today
    but nobody confirmed it; one confirmed through the desk is, and one whose audit entry
    predates the record ids in it is matched by its stage and date."""
    legacy = CropObservation(zone="z1", stage="VE", observed_on=SEEN, entered_by="li")
    store.add_crop_observation(legacy)
    assert _shown(desk, "confirmed_against_prediction")["VE"] is False
    assert _shown(desk, "implausible_by")["VE"] == "gdd"
    assert _shown(desk, "implausible_by")["V6"] is None  # not recorded
    desk.add("z1", "VE", SEEN, "checked twice", None, "li", confirm=True)
    assert _shown(desk, "confirmed_against_prediction")["VE"] is True
    assert _shown(desk, "implausible_by")["VE"] is None
    store.add_crop_observation(  # V6 on day 41 at 410 °C·d: over its 370
        CropObservation(zone="z1", stage="V6", observed_on=SEEN, entered_by="li")
    )
    assert _shown(desk, "confirmed_against_prediction")["V6"] is False
    detail = {"zone": "z1", "stage": "V6", "observed_on": SEEN.isoformat()}
    store.record_audit("li", "crop.observe", detail | {"confirmed_against": "gdd"})
    assert _shown(desk, "confirmed_against_prediction")["V6"] is True
