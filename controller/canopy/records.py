"""Each zone's canopy observations and photos on disk: ``<data dir>/canopy/<zone>/``.

A zone's directory holds ``series.jsonl``, one line per attempt (time, status, cover, the
photo's file name, the reason of a failure), and the newest ``keep`` photos, named by
their UTC time (``20260612T101500Z.jpg``, ``…Z01.jpg`` for a second photo in that second);
older photos are deleted as new ones arrive, so
a zone never holds more than ``keep`` photos of at most the camera's ``max_image_kb``.
The series is cut to its newest :data:`KEEP_LINES` lines once it holds twice as many.
A zone's series is read from disk once and kept in memory (its newest :data:`KEEP_LINES`
records); an append drops the kept copy, and so does any change of the file's size or time
made from outside (it is read again).

A photo is written to a temporary name and renamed, a line appended and flushed: a crash
leaves at worst a photo without its line, which the next cut removes with the rest.
Without a data directory (a store in memory) the observations are kept in memory only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import threading
from collections import deque
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from controller.canopy.imagetype import SUFFIX, image_type
from controller.store import Store

__all__ = ["CANOPY_DIR", "KEEP_LINES", "PHOTO_NAME", "CoverRecord", "CoverRecords", "canopy_dir_of"]

PHOTO_NAME = r"^[0-9]{8}T[0-9]{6}Z([0-9]{2})?\.(jpg|png)$"  # a kept photo's file name
CANOPY_DIR = "canopy"  # the data directory's folder of the zones' series and images
KEEP_LINES = 20_000  # a zone photographed hourly: more than two years
_PHOTO = re.compile(PHOTO_NAME)
_ZONE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")


@dataclass(frozen=True, slots=True)
class CoverRecord:
    """One attempt at a zone's cover: ``status`` ``"ok"`` with ``cover`` (0..1) and the
    photo's file name, or the failure's status name and ``detail``."""

    zone: str
    at: dt.datetime  # UTC
    status: str
    cover: float | None = None
    image: str | None = None
    detail: str = ""

    def to_json(self) -> str:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str) -> CoverRecord:
        data = json.loads(line)
        data["at"] = dt.datetime.fromisoformat(data["at"])
        return cls(**data)


def canopy_dir_of(store: Store) -> Path | None:
    """``<data dir>/canopy`` for a store in a SQLite file, else None (memory only)."""
    url = make_url(store.url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).parent / CANOPY_DIR


class CoverRecords:
    """The zones' observations, on disk under ``directory`` (or in memory when None)."""

    def __init__(self, directory: Path | None, *, memory_lines: int = 1000) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._memory: dict[str, deque[CoverRecord]] = {}
        self._memory_lines = memory_lines
        # zone -> (the file's (mtime ns, size) when read, its newest KEEP_LINES records)
        self._read: dict[str, tuple[tuple[int, int], tuple[CoverRecord, ...]]] = {}

    def _zone_dir(self, zone: str) -> Path:
        if not _ZONE.match(zone):  # zone names are validated; never a path from outside
            raise ValueError(f"not a zone name: {zone!r}")
        assert self.directory is not None
        return self.directory / zone

    def add(
        self, record: CoverRecord, photo: bytes | None = None, *, keep: int = 48
    ) -> CoverRecord:
        """Store ``record`` (with its ``photo``, JPEG or PNG bytes); returns it with the
        photo's file name (none in memory). Raises :class:`OSError` when the disk refuses."""
        with self._lock:
            if self.directory is None:
                lines = self._memory.setdefault(record.zone, deque(maxlen=self._memory_lines))
                lines.append(record)
                return record
            folder = self._zone_dir(record.zone)
            folder.mkdir(parents=True, exist_ok=True)
            if photo is not None:
                name = self._free_name(folder, record.at, photo)
                tmp = folder / f".{name}.tmp"
                tmp.write_bytes(photo)
                tmp.replace(folder / name)
                record = CoverRecord(**{**asdict(record), "image": name})
                self._prune_photos(folder, keep)
            series = folder / "series.jsonl"
            lead = "\n" if self._torn(series) else ""  # end a line a crash left open
            self._read.pop(record.zone, None)
            with series.open("a", encoding="utf-8") as f:
                f.write(lead + record.to_json() + "\n")
                f.flush()
                os.fsync(f.fileno())
            self._cut_series(series)
        return record

    @staticmethod
    def _torn(series: Path) -> bool:
        """Whether the series' last line was left without its end by a crash."""
        try:
            with series.open("rb") as f:
                f.seek(-1, os.SEEK_END)
                return f.read(1) != b"\n"
        except (FileNotFoundError, OSError):  # no file, or an empty one (seek before start)
            return False

    @staticmethod
    def _free_name(folder: Path, at: dt.datetime, photo: bytes) -> str:
        """The photo's file name: its UTC second, then ``01``..``99`` for more photos in the
        same second (a camera's and an upload's), so names sort in time order."""
        stem = f"{at.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"
        suffix = SUFFIX[image_type(photo, source="the photo")]
        for extra in ["", *(f"{n:02d}" for n in range(1, 100))]:
            name = f"{stem}{extra}{suffix}"
            if not (folder / name).exists():
                return name
        raise FileExistsError(f"{folder}: 100 photos in the second {stem}")

    @staticmethod
    def _prune_photos(folder: Path, keep: int) -> None:
        photos = sorted(p for p in folder.iterdir() if _PHOTO.match(p.name))
        for old in photos[: max(0, len(photos) - keep)]:
            old.unlink(missing_ok=True)

    @staticmethod
    def _cut_series(series: Path) -> None:
        # cheap test first: a line is about 150 bytes
        if series.stat().st_size < 2 * KEEP_LINES * 100:
            return
        lines = series.read_text(encoding="utf-8").splitlines(keepends=True)
        if len(lines) < 2 * KEEP_LINES:
            return
        tmp = series.with_suffix(".tmp")
        tmp.write_text("".join(lines[-KEEP_LINES:]), encoding="utf-8")
        tmp.replace(series)

    def series(self, zone: str, *, limit: int = 500) -> list[CoverRecord]:
        """The zone's newest ``limit`` records (at most :data:`KEEP_LINES`), oldest first (a
        damaged line is skipped)."""
        with self._lock:
            if self.directory is None:
                return list(self._memory.get(zone, ()))[-limit:]
            return list(self._records(zone)[-limit:]) if limit > 0 else []

    def _records(self, zone: str) -> tuple[CoverRecord, ...]:
        """The zone's newest records as on disk: kept from the last read while the file's
        time and size are those it had then (the lock held)."""
        path = self._zone_dir(zone) / "series.jsonl"
        try:
            stat = path.stat()
        except FileNotFoundError:
            self._read.pop(zone, None)
            return ()
        seen = (stat.st_mtime_ns, stat.st_size)
        kept = self._read.get(zone)
        if kept is not None and kept[0] == seen:
            return kept[1]
        records = tuple(_parsed(path.read_text(encoding="utf-8").splitlines()))[-KEEP_LINES:]
        self._read[zone] = (seen, records)
        return records

    def latest_cover(self, zone: str, *, since: dt.datetime | None = None) -> CoverRecord | None:
        """The zone's newest record with a cover (camera or upload), not older than
        ``since``; None when there is none (the crop state then keeps its calendar)."""
        for record in reversed(self.series(zone, limit=KEEP_LINES)):
            if since is not None and record.at < since:
                return None
            if record.cover is not None:
                return record
        return None

    def cover_between(
        self, zone: str, start: dt.datetime, end: dt.datetime
    ) -> tuple[float, dt.datetime] | None:
        """The zone's newest measured cover (0..1) taken in ``[start, end]``, and when; None
        without one (the balance then keeps its calendar Kcb)."""
        for record in reversed(self.series(zone, limit=KEEP_LINES)):
            if record.at > end or record.cover is None:
                continue
            return (record.cover, record.at) if record.at >= start else None
        return None

    def photo(self, zone: str, name: str) -> Path | None:
        """The path of one of the zone's kept photos, or None (deleted, or not a photo name)."""
        if self.directory is None or not _PHOTO.match(name):
            return None
        path = self._zone_dir(zone) / name
        return path if path.is_file() else None

    def latest_photo(self, zone: str) -> Path | None:
        """The zone's newest kept photo, or None."""
        if self.directory is None:
            return None
        folder = self._zone_dir(zone)
        if not folder.is_dir():
            return None
        photos = sorted(p for p in folder.iterdir() if _PHOTO.match(p.name))
        return photos[-1] if photos else None


def _parsed(lines: list[str]) -> list[CoverRecord]:
    out = []
    for line in lines:
        try:
            out.append(CoverRecord.from_json(line))
        except (ValueError, TypeError, KeyError):
            continue  # a line torn by a crash
    return out
