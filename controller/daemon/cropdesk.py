"""Crop observations (苗情) as the API and the pages see them.

:class:`CropDesk` answers the crop verbs of :class:`~controller.daemon.protocol.ControlService`
over the store and the agronomy's :class:`~controller.agronomy.cropstate.CropClock`. An
observation is refused (:class:`~controller.daemon.protocol.ObservationRefused`, naming the
field) when no stage is given or it is unknown, its date is in the future or before planting,
it is out of order with the season's other stages (a stage recorded again replaces its
earlier record, and is checked as the replacement; a record of the same stage and date takes
its place in the store, keeping its photo unless it brings one, so that the zone has one
record of a stage a day: a form sent twice, a note added), its note is too long, or its photo is not
a JPEG or PNG of at most :data:`PHOTO_MAX_BYTES`; and, unless confirmed, when the degree days
since sowing make the stage implausible on that date (:mod:`models.crops.plausibility`). A
mistaken record is deleted with the older records of its stage it had replaced. Photos are
kept in the data directory's ``photos/``, named by zone, stage and a random part, never by
anything the client sent.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from controller.agronomy.cropstate import CropClock
from controller.canopy.errors import NotAnImage
from controller.canopy.imagetype import SUFFIX, ImageType, image_type
from controller.config.site import ZoneConfig
from controller.daemon.croprefusal import refused
from controller.daemon.lookups import unknown
from controller.daemon.protocol import CropObservationInfo
from controller.store import CropObservation, Store
from models.crops.phenology import PHENOLOGY_CROPS, Stage
from models.crops.plausibility import CALENDAR_DAYS_OFF, Implausible

__all__ = ["NOTE_MAX_CHARS", "PHOTO_MAX_BYTES", "CropDesk", "photo_type"]

# Below the request body cap (1 MiB) with a base64 photo in the API's JSON; the page scales a
# phone's photo down to fit before sending it.
PHOTO_MAX_BYTES = 700 * 1024
NOTE_MAX_CHARS = 500
PHOTO_DIR = "photos"


def photo_type(data: bytes) -> ImageType:
    """``image/jpeg`` or ``image/png`` from the file's own structure
    (:func:`~controller.canopy.imagetype.image_type`); :class:`ObservationRefused` for
    anything else, empty or too large."""
    if not data:
        raise refused("photo", "photo_empty")
    if len(data) > PHOTO_MAX_BYTES:
        kib, max_kib = str(len(data) // 1024), str(PHOTO_MAX_BYTES // 1024)
        raise refused("photo", "photo_too_large", kib=kib, max_kib=max_kib)
    try:
        return image_type(data, source="the photo")
    except NotAnImage as exc:
        raise refused("photo", "photo_unreadable", reason=str(exc)) from exc


def observation_info(o: CropObservation) -> CropObservationInfo:
    return CropObservationInfo(
        id=o.id or 0,
        zone=o.zone,
        stage=o.stage,
        observed_on=o.observed_on,
        note=o.note,
        photo=o.photo,
        entered_by=o.entered_by,
        entered_at=o.entered_at,
    )


class CropDesk:
    """Observations in, the crop as observed and predicted out, for the live site's zones."""

    def __init__(
        self,
        store: Store,
        clock: CropClock,
        zones: Callable[[], dict[str, ZoneConfig]],
        today: Callable[[], dt.date],
        data_dir: Path | None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.zones = zones
        self.today = today
        self.data_dir = data_dir

    def _zone(self, name: str) -> ZoneConfig:
        zone = self.zones().get(name)
        if zone is None:
            raise unknown("zone", zone=name)
        return zone

    def observations(self, zone: str) -> list[CropObservationInfo]:
        return [observation_info(o) for o in self.clock.observations(self._zone(zone))]

    def add(
        self,
        zone: str,
        stage: str,
        observed_on: dt.date,
        note: str,
        photo: bytes | None,
        actor: str,
        *,
        confirm: bool = False,
    ) -> CropObservationInfo:
        """Store a stage seen on ``zone`` (audited ``crop.observe``; in place of the stage's
        records of the same date, their ids in ``replaced``); a stage the degree
        days (or the calendar) make implausible on that date is refused unless ``confirm``
        (:mod:`models.crops.plausibility`), and its audit entry says it was confirmed, with
        the record's id (how the view tells a confirmed record)."""
        z = self._zone(zone)
        seen = self._check(z, stage, observed_on, note)
        doubt = self.clock.implausible(z, seen, observed_on)
        if doubt is not None and not confirm:
            raise _implausible(doubt, observed_on)
        kind = photo_type(photo) if photo is not None else None
        name = ""
        if photo is not None and kind is not None:
            name = self._save_photo(z.name, seen, photo, kind)
        row, replaced = self.store.replace_crop_observation(
            CropObservation(
                zone=z.name,
                stage=seen.value,
                observed_on=observed_on,
                note=note,
                photo=name,
                entered_by=actor,
            )
        )
        for old in replaced:
            if old.photo and old.photo != row.photo and self.data_dir is not None:
                (self.data_dir / PHOTO_DIR / old.photo).unlink(missing_ok=True)
        ids = tuple(r.id for r in replaced if r.id is not None)
        detail: dict[str, object] = {
            "id": row.id,
            "zone": z.name,
            "stage": seen.value,
            "observed_on": observed_on.isoformat(),
        }
        if ids:
            detail["replaced"] = list(ids)  # who entered them stays in their own entries
        if doubt is not None:
            detail["confirmed_against"] = doubt.by
        self.store.record_audit(actor, "crop.observe", detail)
        return replace(observation_info(row), replaced=ids)

    def delete(self, zone: str, observation_id: int, actor: str) -> CropObservationInfo:
        """Delete a mistaken stage record of ``zone`` (and the older records of its stage it
        had replaced this season; their photos too, earlier seasons' kept), audited
        ``crop.delete``: the stage goes back to its prediction, or stays on its newer
        record when the one deleted had already been replaced. :class:`UnknownName` for a
        record the zone does not have this season."""
        z = self._zone(zone)
        rows = self.store.delete_crop_observation(z.name, observation_id, z.planting_date)
        if not rows:
            raise unknown("observation", observation=str(observation_id), zone=z.name)
        for row in rows:
            if row.photo and self.data_dir is not None:
                (self.data_dir / PHOTO_DIR / row.photo).unlink(missing_ok=True)
        gone = max(rows, key=lambda r: r.id or 0)
        self.store.record_audit(
            actor,
            "crop.delete",
            {
                "zone": z.name,
                "stage": gone.stage,
                "observed_on": gone.observed_on.isoformat(),
                "ids": [r.id for r in rows],
            },
        )
        return observation_info(gone)

    def photo(self, zone: str, observation_id: int) -> tuple[bytes, str]:
        z = self._zone(zone)
        for o in self.store.crop_observations(z.name):
            if o.id == observation_id and o.photo and self.data_dir is not None:
                data = (self.data_dir / PHOTO_DIR / o.photo).read_bytes()
                return data, photo_type(data)
        raise unknown("observation_photo", observation=str(observation_id), zone=zone)

    def view(self, zone: str) -> dict[str, Any]:
        z = self._zone(zone)
        today = self.today()
        state = self.clock.shown_state(z, today)
        stages = []
        if z.crop in PHENOLOGY_CROPS:
            records = {Stage(o.stage): o for o in self.clock.observations(z)}
            confirmed = self._confirmed(z, list(records.values()))
            for p in self.clock.stages(z, today):
                late = None
                if p.observed_on is not None and p.predicted_on is not None:
                    late = (p.observed_on - p.predicted_on).days
                record = records.get(p.stage)
                kept = record is not None and record.id in confirmed
                doubt = None
                if record is not None and not kept:
                    doubt = self.clock.implausible(z, p.stage, record.observed_on)
                stages.append(
                    {
                        "stage": p.stage.value,
                        "observed_on": p.observed_on,
                        "confirmed_against_prediction": kept,
                        "implausible_by": None if doubt is None else doubt.by,
                        "predicted_on": p.predicted_on,
                        "predicted_by": p.predicted_by,
                        "days_late": late,
                    }
                )
        return {
            "zone": z.name,
            "crop": z.crop,
            "planting_date": z.planting_date,
            "phenology": z.crop in PHENOLOGY_CROPS,
            "crop_clock": z.crop_clock,
            "today": {
                **state.numbers(),
                "days_after_planting": state.days_after_planting,
                "gdd_days_measured": state.gdd_days_measured,
                "gdd_missing": state.gdd_missing or None,
                "sentence": state.sentence(),
            },
            "stages": stages,
        }

    # -- inside --------------------------------------------------------------------------

    def _check(self, z: ZoneConfig, stage: str, observed_on: dt.date, note: str) -> Stage:
        if z.crop not in PHENOLOGY_CROPS:
            crops = ", ".join(PHENOLOGY_CROPS)
            raise refused("stage", "not_maize", zone=z.name, crop=z.crop, crops=crops)
        if not stage:
            raise refused("stage", "no_stage")
        try:
            seen = Stage(stage)
        except ValueError:
            known = ", ".join(s.value for s in Stage)
            raise refused("stage", "unknown_stage", stage=stage, known=known) from None
        today = self.today()
        day = observed_on.isoformat()
        if observed_on > today:
            raise refused("observed_on", "in_future", observed_on=day, today=today.isoformat())
        if observed_on < z.planting_date:
            planted = z.planting_date.isoformat()
            raise refused("observed_on", "before_planting", observed_on=day, planting_date=planted)
        if len(note) > NOTE_MAX_CHARS or any(ord(c) < 32 and c not in "\n\t" for c in note):
            raise refused("note", "note_too_long", max_chars=str(NOTE_MAX_CHARS))
        for other in self.clock.observations(z):
            other_stage = Stage(other.stage)
            if other_stage is seen:
                continue  # replaced by this one
            order = {
                "stage": seen.value,
                "observed_on": day,
                "other_stage": other_stage.value,
                "other_on": other.observed_on.isoformat(),
            }
            if other_stage.order < seen.order and other.observed_on > observed_on:
                raise refused("observed_on", "before_earlier_stage", **order)
            if other_stage.order > seen.order and other.observed_on < observed_on:
                raise refused("observed_on", "after_later_stage", **order)
        return seen

    def _confirmed(self, z: ZoneConfig, records: list[CropObservation]) -> set[int]:
        """The ids of ``records`` the technician kept by confirming them against the degree
        days (their ``crop.observe`` audit entry says ``confirmed_against``): by the entry's
        record id, or, for an entry written before it carried one, by the stage and date, the
        entry written at or after the record."""
        out: set[int] = set()
        for entry in self.store.audit_entries("crop.observe"):
            d = entry.detail
            if d.get("zone") != z.name or "confirmed_against" not in d:
                continue
            for r in records:
                if r.id is None:
                    continue
                if "id" in d:
                    hit = d["id"] == r.id
                else:
                    hit = (
                        d.get("stage") == r.stage
                        and d.get("observed_on") == r.observed_on.isoformat()
                        and (r.entered_at is None or entry.time >= r.entered_at)
                    )
                if hit:
                    out.add(r.id)
        return out

    def _save_photo(self, zone: str, stage: Stage, data: bytes, kind: ImageType) -> str:
        if self.data_dir is None:
            raise refused("photo", "photo_not_kept")
        folder = self.data_dir / PHOTO_DIR
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{zone}-{stage.value}-{secrets.token_hex(6)}{SUFFIX[kind]}"
        tmp = folder / f".{name}.part"
        tmp.write_bytes(data)
        tmp.replace(folder / name)
        return name


def _implausible(doubt: Implausible, observed_on: dt.date) -> Exception:
    """The refusal of a stage the degree days (or the calendar without them) doubt, naming
    the stage, the date, what the crop has had and what the stage expects:
    ``implausible_gdd`` (the degree days outside the stage's band) or
    ``implausible_calendar_no_gdd`` (too few days measured to count them, and over
    :data:`CALENDAR_DAYS_OFF` days off the calendar)."""
    values = {
        "stage": doubt.stage.value,
        "observed_on": observed_on.isoformat(),
        "days_after_planting": str(doubt.days_after_planting),
        "expected_day": f"{doubt.expected_day:.0f}",
        "days_off": f"{CALENDAR_DAYS_OFF:.0f}",
        "expected_degc_day": f"{doubt.expected_degc_day:.0f}",
        "low_degc_day": f"{doubt.low_degc_day:.0f}",
        "high_degc_day": f"{doubt.high_degc_day:.0f}",
    }
    if doubt.gdd_degc_day is None:
        return refused("stage", "implausible_calendar_no_gdd", **values)
    return refused("stage", "implausible_gdd", **values, gdd_degc_day=f"{doubt.gdd_degc_day:.0f}")
