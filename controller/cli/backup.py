"""``qanat backup`` and ``qanat restore``: the data directory (and config) as one archive.

    qanat backup --data-dir /var/lib/qanat [--config-dir /etc/qanat] OUT.tar.gz
    qanat restore IN.tar.gz --data-dir /var/lib/qanat [--config-dir DIR] [--force]

Backup is safe while the daemon runs: the database is copied with SQLite's
online backup API (one consistent snapshot, whatever the daemon commits
meanwhile; WAL readers never block its writer), never by copying the file.
The archive holds ``qanat.db``, ``manifest.json`` (when, from where, the
schema revision), the settings changed from the pages (``site.overrides.toml`` of the data
directory, when there is one), what the box learned (``models/`` of the data directory: flow
signatures, soil fits, forecast corrections, the canopy classifier, the calibration
dry-downs' phases), the crop desk's photos (``photos/``, which the ``crop_observations`` rows
name), the canopy camera's history (``canopy/<zone>/``: ``series.jsonl`` and its images, and
the classifier's labels) and, if given, the config directory under ``config/``; files being
written (``*.tmp``, ``*.part``) are left out. It is written beside ``OUT`` and renamed into
place, so a full disk never leaves a truncated archive under the final name.

Restore refuses a data directory that already holds files unless ``--force``,
and refuses an archive whose database does not open, fails SQLite's
integrity check, or was made by a newer qanat (schema revision unknown
here), or holds anything but regular files and folders (a link, even one inside the
archive, is refused by its entry's name). The daemon must be stopped first (``systemctl
stop qanat``). The learned models, the photos and the canopy history each replace their
directory as a whole, and the pages' settings the file there: an archive of a box that had
none leaves none; an archive made before a part was kept (its manifest does not name it)
leaves the box's own as it is. The database is put in place last. Restore is all or
nothing: a file where one of those folders goes (or a folder where the database goes) is
refused before anything is touched, and when any rename fails, the database's included,
every part already replaced is put back (:mod:`controller.cli.swap`) before the staging
folder holding the box's own is removed; one that cannot be put back is kept there, named.
A model file is not judged here: the loaders judge it at the daemon's start, as any file
they find (one of a format or scikit-learn version this qanat does not read is refused
with a ``model_unavailable`` alarm and relearned).

One module serves both commands (they share the archive layout); which one
runs is the subcommand's name.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine

from controller.canopy.records import CANOPY_DIR
from controller.cli.exitcodes import FAILED, OK
from controller.cli.swap import Swap, SwapUndoError
from controller.config.overrides import OVERRIDES_FILE
from controller.daemon.cropdesk import PHOTO_DIR
from controller.errors import CommandError
from controller.learning.files import MODELS_DIR
from controller.store import StoreError
from controller.store.migrate import check, current_revision

__all__ = ["BackupError", "BackupReport", "backup", "restore"]


DB_NAME = "qanat.db"
MANIFEST = "manifest.json"
# the data directory's parts besides the database an archive records, present or absent; an
# archive made before a part was kept does not name it, and leaves the box's own in place
KEEPS = ("settings", "models", "photos", "canopy")
# the parts that are directories of the data directory, by their name in KEEPS
TREES = {"models": MODELS_DIR, "photos": PHOTO_DIR, "canopy": CANOPY_DIR}
# files still being written (renamed into place when done): never archived
_PARTIAL_SUFFIXES = (".tmp", ".part")
CONFIG_PREFIX = "config"
_DB_SIDECARS = ("-wal", "-shm", "-journal")


class BackupError(CommandError):
    """A backup or restore that could not be done; the message names the file and why."""


@dataclass(frozen=True, slots=True)
class BackupReport:
    """What an archive holds: ``db_bytes`` of database at schema ``revision``, whether the
    pages' settings are in it, the learned model files per kind (``models/<kind>/…``), the
    crop desk's photos, the canopy history's files per zone (``canopy/<zone>/…``) and the
    number of config files."""

    archive: Path
    db_bytes: int
    config_files: int
    revision: str | None
    settings: bool = False
    models: dict[str, int] = field(default_factory=dict)
    photos: int = 0
    canopy: dict[str, int] = field(default_factory=dict)

    def holds(self) -> str:
        """One line for the command's output."""
        size = f"database {self.db_bytes} bytes (revision {self.revision})"
        settings = "the pages' settings" if self.settings else "no pages' settings"
        if self.models:
            kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(self.models.items()))
            models = f"{sum(self.models.values())} learned model files ({kinds})"
        else:
            models = "no learned models"
        photos = f"{self.photos} crop photos"
        if self.canopy:
            zones = ", ".join(f"{zone} {n}" for zone, n in sorted(self.canopy.items()))
            canopy = f"{sum(self.canopy.values())} canopy files ({zones})"
        else:
            canopy = "no canopy history"
        return f"{size}, {settings}, {models}, {photos}, {canopy}, {self.config_files} config files"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    if parser.prog.split()[-1] == "restore":
        parser.add_argument("archive", type=Path, metavar="IN.tar.gz", help="a backup's archive")
        parser.add_argument(
            "--data-dir", type=Path, required=True, help="the data directory to restore into"
        )
        parser.add_argument("--config-dir", type=Path, help="also restore the config here")
        parser.add_argument("--force", action="store_true", help="replace existing data")
    else:
        parser.add_argument("out", type=Path, metavar="OUT.tar.gz", help="the archive to write")
        parser.add_argument(
            "--data-dir", type=Path, required=True, help="the daemon's data directory"
        )
        parser.add_argument("--config-dir", type=Path, help="include this config directory")


def run(args: argparse.Namespace) -> int:
    try:
        if args.command == "restore":
            report = restore(
                args.archive, args.data_dir, config_dir=args.config_dir, force=args.force
            )
            print(f"restored {args.archive} into {args.data_dir}: {report.holds()}")
        else:
            report = backup(args.data_dir, args.out, config_dir=args.config_dir)
            print(f"{report.archive}: {report.holds()}")
    except BackupError as exc:
        print(f"{args.command}: {exc}", file=sys.stderr)
        return FAILED
    return OK


# -- backup ----------------------------------------------------------------------


def backup(data_dir: Path, out: Path, *, config_dir: Path | None = None) -> BackupReport:
    """Write ``out`` (tar.gz) with a consistent copy of the database and the config."""
    source = data_dir / DB_NAME
    if not source.is_file():
        raise BackupError(f"{source}: no database to back up")
    if config_dir is not None and not config_dir.is_dir():
        raise BackupError(f"{config_dir}: not a directory")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = tempfile.TemporaryDirectory(dir=out.parent, prefix=".qanat-backup-")
    except OSError as exc:  # a file on the way, a read-only or virtual file system
        raise BackupError(f"{out}: cannot write the archive there: {exc.strerror}") from exc
    with staging as tmp:
        snapshot = Path(tmp) / DB_NAME
        _snapshot(source, snapshot)
        revision = _revision(snapshot)
        manifest = {
            "made_at": datetime.now(UTC).isoformat(),
            "data_dir": str(data_dir.resolve()),
            "schema_revision": revision,
            "config_dir": str(config_dir.resolve()) if config_dir else None,
            # the parts this archive records, there or not: restore makes the box match
            "keeps": list(KEEPS),
        }
        (Path(tmp) / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        partial = Path(tmp) / "archive.tar.gz"
        config_files = 0
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(snapshot, DB_NAME)
            tar.add(Path(tmp) / MANIFEST, MANIFEST)
            settings = data_dir / OVERRIDES_FILE  # the pages' settings: the box as it ran
            if settings.is_file():
                tar.add(settings, OVERRIDES_FILE)
            for tree in TREES.values():
                _add_tree(tar, data_dir / tree, tree)
            if config_dir is not None:
                for path in sorted(p for p in config_dir.rglob("*") if p.is_file()):
                    tar.add(path, f"{CONFIG_PREFIX}/{path.relative_to(config_dir)}")
                    config_files += 1
        os.replace(partial, out)
    return contents(out)


def contents(archive: Path) -> BackupReport:
    """What ``archive`` holds, read from its members (an archive of any qanat version)."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{archive}: unreadable archive: {exc}") from exc
    names = {m.name: m for m in members if m.isfile()}
    if DB_NAME not in names:
        raise BackupError(f"{archive}: no {DB_NAME} in the archive")
    revision: str | None = None
    if MANIFEST in names:
        with tarfile.open(archive, "r:gz") as tar:
            manifest = tar.extractfile(names[MANIFEST])
            assert manifest is not None  # a regular file
            revision = json.loads(manifest.read().decode("utf-8")).get("schema_revision")
    models: dict[str, int] = {}
    canopy: dict[str, int] = {}
    for name in names:
        parts = name.split("/")
        if parts[0] == MODELS_DIR and len(parts) > 2:
            models[parts[1]] = models.get(parts[1], 0) + 1
        elif parts[0] == CANOPY_DIR and len(parts) > 2:
            canopy[parts[1]] = canopy.get(parts[1], 0) + 1
    return BackupReport(
        archive,
        names[DB_NAME].size,
        sum(1 for n in names if n.startswith(f"{CONFIG_PREFIX}/")),
        revision,
        settings=OVERRIDES_FILE in names,
        models=models,
        photos=sum(1 for n in names if n.startswith(f"{PHOTO_DIR}/")),
        canopy=canopy,
    )


def _add_tree(tar: tarfile.TarFile, folder: Path, prefix: str) -> None:
    """Every file under ``folder`` as ``<prefix>/<path>`` (a learned model, a crop photo, a
    canopy series or image), but those being written (``*.tmp``, ``*.part``, renamed into
    place when done). Each is written by a rename, so a file added is either the one
    before or the one after; one removed meanwhile (a dry-down request taken back, a photo
    pruned or deleted) is left out. The canopy series is appended to: a line being written
    meanwhile may be cut, which its reader skips as a torn line."""
    if not folder.is_dir():
        return
    for path in sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix not in _PARTIAL_SUFFIXES
    ):
        try:
            tar.add(path, f"{prefix}/{path.relative_to(folder).as_posix()}")
        except FileNotFoundError:
            continue


def _snapshot(source: Path, target: Path) -> None:
    """SQLite online backup: one consistent copy while other connections write."""
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
        try:
            dst = sqlite3.connect(target)
            try:
                src.backup(dst)
                # one self-contained file: no -wal beside it to lose on the way into the tar
                dst.execute("PRAGMA journal_mode=DELETE")
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{source}: online backup failed: {exc}") from exc


def _revision(db: Path) -> str | None:
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            return current_revision(conn)
    finally:
        engine.dispose()


# -- restore ---------------------------------------------------------------------


def restore(
    archive: Path, data_dir: Path, *, config_dir: Path | None = None, force: bool = False
) -> BackupReport:
    """Put ``archive``'s database, settings, learned models (and config) in place after
    verifying the database; returns what the archive held. All or nothing: when any part
    cannot be put in place, every part already replaced is put back as it was."""
    if not archive.is_file():
        raise BackupError(f"{archive}: no such archive")
    if data_dir.exists() and not data_dir.is_dir():
        raise BackupError(f"{data_dir} is a file, not a data directory")
    existing = [p.name for p in data_dir.iterdir()] if data_dir.is_dir() else []
    if existing and not force:
        raise BackupError(
            f"{data_dir} is not empty ({', '.join(sorted(existing)[:5])}); "
            "stop the daemon and use --force to replace its data"
        )
    for tree in TREES.values():  # refused before anything is touched
        if (data_dir / tree).exists() and not (data_dir / tree).is_dir():
            raise BackupError(f"{data_dir / tree} is a file, not a directory to restore into")
    if (data_dir / DB_NAME).is_dir():
        raise BackupError(f"{data_dir / DB_NAME} is a directory, not a database to replace")
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=data_dir, prefix=".qanat-restore-"))
    except OSError as exc:
        raise BackupError(f"{data_dir}: cannot make the data directory: {exc.strerror}") from exc
    stranded = False
    try:
        _extract(archive, staging)
        db = staging / DB_NAME
        if not db.is_file():
            raise BackupError(f"{archive}: no {DB_NAME} in the archive")
        _verify(db, archive)
        _put_in_place(staging, data_dir, _keeps(staging / MANIFEST))
        config = staging / CONFIG_PREFIX
        if config_dir is not None and config.is_dir():
            try:
                shutil.copytree(config, config_dir, dirs_exist_ok=True)
            except OSError as exc:
                raise BackupError(
                    f"{config_dir}: the data is restored but the config could not be: {exc}"
                ) from exc
    except _Stranded:
        stranded = True  # the box's own files are there: never removed
        raise
    finally:
        if not stranded:
            shutil.rmtree(staging, ignore_errors=True)
    return contents(archive)


class _Stranded(BackupError):
    """A restore that failed and could not put back all the box's own files: they are in
    the staging folder the message names, which is kept."""


def _put_in_place(staging: Path, data_dir: Path, keeps: frozenset[str]) -> None:
    """The staged settings, trees and database replace the data directory's, by renames on
    one file system (the models, photos or canopy history of another box, or of before, never
    mix with the restored ones); the box's own are parked in ``staging``, removed with it.
    On any failure every rename is undone, last first, and :class:`BackupError` names what
    failed; :class:`_Stranded` when a rename cannot be undone, naming ``staging`` where the
    box's own files are."""
    swap = Swap()
    step = data_dir / OVERRIDES_FILE
    try:
        settings = staging / OVERRIDES_FILE
        # an archive that does not keep a part leaves the box's own (made before it was)
        if settings.is_file():
            swap.put(settings, step, staging / f"{OVERRIDES_FILE}.replaced")
        elif "settings" in keeps and step.exists():  # the backed-up box had none: nor this one
            swap.move(step, staging / f"{OVERRIDES_FILE}.replaced")
        for part, tree in TREES.items():
            step = data_dir / tree
            new = staging / tree
            if part in keeps and step.exists():
                new.mkdir(exist_ok=True)  # none there: none kept here either
            if new.is_dir():
                swap.put(new, step, staging / f"{tree}.replaced")
        for suffix in _DB_SIDECARS:  # a stale WAL must not be replayed over the restored file
            step = data_dir / (DB_NAME + suffix)
            if step.exists():
                swap.move(step, staging / f"{DB_NAME}{suffix}.replaced")
        step = data_dir / DB_NAME  # last
        swap.put(staging / DB_NAME, step, staging / f"{DB_NAME}.replaced")
    except OSError as exc:
        try:
            swap.undo()
        except SwapUndoError as undo:
            raise _Stranded(
                f"{step}: cannot put the archive's file in place ({exc.strerror or exc}), and "
                f"{undo}; the box's own files are kept in {staging}: move them back by hand"
            ) from exc
        raise BackupError(
            f"{step}: cannot put the archive's file in place ({exc.strerror or exc}); "
            f"nothing was changed"
        ) from exc


def _keeps(manifest: Path) -> frozenset[str]:
    """The parts (:data:`KEEPS`) the archive's manifest says it records; none when it is
    older or has no manifest."""
    try:
        keeps = json.loads(manifest.read_text(encoding="utf-8")).get("keeps", [])
    except (OSError, ValueError, AttributeError):
        return frozenset()
    return frozenset(k for k in keeps if k in KEEPS) if isinstance(keeps, list) else frozenset()


def _extract(archive: Path, target: Path) -> None:
    """``archive`` into ``target``, refused whole (nothing extracted) when an entry is
    anything but a regular file or a directory: a backup writes no other, and a link, even
    one ``filter="data"`` lets through (``photos -> .``), would make a restored folder point
    elsewhere in the data directory."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()
            for member in members:
                _judge_member(member, archive)
            tar.extractall(target, members, filter="data")  # no absolute paths, no ``..``
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{archive}: unreadable archive: {exc}") from exc


def _judge_member(member: tarfile.TarInfo, archive: Path) -> None:
    """``member`` is a regular file or a directory, and the archive's top entries are what
    restore puts in place: the database, manifest and settings files, and the models',
    photos' and canopy history's folders; otherwise :class:`BackupError` naming it."""
    if not (member.isreg() or member.isdir()):
        kind = "a link" if member.issym() or member.islnk() else "not a regular file"
        raise BackupError(
            f"{archive}: entry {member.name!r} is {kind}; a backup holds only files and folders"
        )
    name = member.name.rstrip("/")
    if name in TREES.values() and not member.isdir():
        raise BackupError(f"{archive}: entry {member.name!r} is a file, not a folder")
    if name in (DB_NAME, MANIFEST, OVERRIDES_FILE) and not member.isreg():
        raise BackupError(f"{archive}: entry {member.name!r} is a folder, not a file")


def _verify(db: Path, archive: Path) -> None:
    """The database opens, passes integrity_check, and its schema is not from a newer qanat."""
    try:
        raw = sqlite3.connect(db)
        try:
            result = raw.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            raw.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{archive}: the database does not open: {exc}") from exc
    if result != "ok":
        raise BackupError(f"{archive}: the database fails its integrity check: {result}")
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            check(conn, f"{archive}:{DB_NAME}")
    except StoreError as exc:
        raise BackupError(str(exc)) from exc
    finally:
        engine.dispose()
