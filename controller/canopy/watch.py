"""The daemon's canopy job: each zone's camera photographed on its interval, cover kept.

:meth:`CanopyWatch.check` runs every :data:`CHECK_EVERY_S` (kind ``task``, the scheduler's
pool); a zone whose camera is due (``interval_min`` since its last attempt, or never tried)
is fetched, its cover estimated and stored with the photo (:meth:`CanopyWatch.estimate_photo`
does the same for a photo sent through the API). One zone at a time, so a camera
that hangs holds the others back by at most its ``timeout_s``.

Each attempt ends in a status the zone shows (:attr:`ZoneCover.status`):

==================  =====================================================================
``ok``              cover estimated and stored with the photo
``unreachable``     no connection, or the answer was cut off
``timeout``         no whole answer within ``timeout_s``
``http_error``      an HTTP status other than 200 (the code in ``detail``)
``not_image``       the answer is not a JPEG or PNG picture
``too_large``       more than ``max_image_kb`` or more pixels than a photo has
``no_classifier``   the classifier could not be loaded or trained
``not_stored``      estimated, but the disk refused the photo or the line
``failed``          anything else (logged with its trace)
==================  =====================================================================

A zone's first failure is logged at ERROR, its repeats at DEBUG, its recovery at INFO. The
job never raises into the scheduler.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from controller.canopy.camera import decode_snapshot, fetch_snapshot
from controller.canopy.classifier import CanopyModel
from controller.canopy.errors import CameraError
from controller.canopy.records import CoverRecord, CoverRecords
from controller.config.site import SiteConfig, ZoneConfig
from models.learning.errors import LearnedModelError, LearningInputError

__all__ = ["CHECK_EVERY_S", "STATUSES", "CanopyWatch", "Fetch", "ZoneCover"]

CHECK_EVERY_S = 60.0
KEEP_UPLOADS = 48  # photos kept of a zone without a camera (uploads only)
STATUSES = (
    "ok",
    "unreachable",
    "timeout",
    "http_error",
    "not_image",
    "too_large",
    "no_classifier",
    "not_stored",
    "failed",
)
log = logging.getLogger(__name__)

Fetch = Callable[..., bytes]  # fetch_snapshot's signature: (url, *, timeout_s, max_bytes)


@dataclass(frozen=True)
class ZoneCover:
    """A zone's last attempt: when, its status, the cover (0..1) when ``ok``."""

    zone: str
    at: dt.datetime
    status: str
    cover: float | None = None
    detail: str = ""
    image: str | None = None  # the photo's file name, once stored


class CanopyWatch:
    """Fetches, estimates and stores each camera zone's cover on its interval."""

    def __init__(
        self,
        site: Callable[[], SiteConfig],
        records: CoverRecords,
        model: CanopyModel,
        now: Callable[[], dt.datetime],
        *,
        fetch: Fetch = fetch_snapshot,
    ) -> None:
        self._site = site
        self.records = records
        self.model = model
        self._now = now
        self._fetch = fetch
        self._lock = threading.Lock()
        self._last: dict[str, ZoneCover] = {}

    def zones(self) -> list[ZoneConfig]:
        """The zones with a camera."""
        return [z for z in self._site().zones if z.camera is not None]

    def status(self) -> dict[str, ZoneCover]:
        """Each camera zone's last attempt (a zone not yet tried is absent)."""
        with self._lock:
            return dict(self._last)

    def check(self) -> list[ZoneCover]:
        """Photograph every zone that is due; the attempts made. Never raises."""
        done = []
        for zone in self.zones():
            camera = zone.camera
            assert camera is not None
            last = self.status().get(zone.name)
            now = self._now()
            if last is not None and now - last.at < dt.timedelta(minutes=camera.interval_min):
                continue
            done.append(self.observe(zone))
        return done

    def observe(self, zone: ZoneConfig) -> ZoneCover:
        """One attempt at ``zone``'s cover now, recorded with its status. Never raises."""
        at = self._now()
        try:
            result = self._attempt(zone, at)
        except Exception as exc:  # the scheduler's pool must never see it
            log.exception("canopy of zone %s: attempt failed", zone.name)
            result = ZoneCover(zone.name, at, "failed", detail=repr(exc))
        self._note(result)
        return result

    def estimate_photo(self, zone: ZoneConfig, photo: bytes, *, source: str) -> ZoneCover:
        """The cover of a photo handed in (an upload), stored with it like a camera's.

        Unlike the camera's attempts this raises, for the one who sent it:
        :class:`NotAnImage` / :class:`ImageTooLarge` for the photo, ``LearnedModelError``
        or ``LearningInputError`` with no classifier, :class:`OSError` when the disk
        refuses. ``source`` (who sent it) is kept as the record's detail.
        """
        at = self._now()
        rgb = decode_snapshot(photo, url=source)
        cover = round(self.model.get(at).cover(rgb), 4)
        keep = zone.camera.keep_images if zone.camera is not None else KEEP_UPLOADS
        record = CoverRecord(zone.name, at, "ok", cover, None, source)
        stored = self.records.add(record, photo, keep=keep)
        return ZoneCover(zone.name, at, "ok", cover, source, stored.image)

    def _attempt(self, zone: ZoneConfig, at: dt.datetime) -> ZoneCover:
        camera = zone.camera
        assert camera is not None
        try:
            photo = self._fetch(
                camera.url, timeout_s=camera.timeout_s, max_bytes=camera.max_image_kb * 1024
            )
            rgb = decode_snapshot(photo, url=camera.url)
        except CameraError as exc:
            return self._store(ZoneCover(zone.name, at, exc.status, detail=str(exc)))
        try:
            cover = self.model.get(at).cover(rgb)
        except (LearnedModelError, LearningInputError) as exc:
            return self._store(ZoneCover(zone.name, at, "no_classifier", detail=str(exc)))
        result = ZoneCover(zone.name, at, "ok", round(cover, 4))
        return self._store(result, photo, keep=camera.keep_images)

    def _store(self, result: ZoneCover, photo: bytes | None = None, *, keep: int = 48) -> ZoneCover:
        record = CoverRecord(
            result.zone, result.at, result.status, result.cover, None, result.detail
        )
        try:
            self.records.add(record, photo, keep=keep)
        except OSError as exc:
            detail = f"not stored: {exc}"
            if result.status != "ok":
                detail = f"{result.detail}; {detail}"
            return ZoneCover(result.zone, result.at, "not_stored", result.cover, detail)
        return result

    def _note(self, result: ZoneCover) -> None:
        with self._lock:
            before = self._last.get(result.zone)
            self._last[result.zone] = result
        if result.status == "ok":
            if before is not None and before.status != "ok":
                log.info("canopy of zone %s: camera back, cover %.3f", result.zone, result.cover)
        elif before is None or before.status != result.status:
            log.error("canopy of zone %s: %s (%s)", result.zone, result.status, result.detail)
        else:
            log.debug("canopy of zone %s: still %s (%s)", result.zone, result.status, result.detail)
