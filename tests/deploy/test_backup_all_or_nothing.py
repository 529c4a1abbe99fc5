"""``qanat restore`` is all or nothing: when any part cannot be put in place (a file where a
folder goes, a database rename that fails) the box keeps exactly what it had, its photos,
models, canopy history, settings and database bytes; an archive holding a link is refused
before anything is touched."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from controller.cli import main
from controller.cli.backup import DB_NAME, BackupError, backup, restore
from controller.store import Store


def _tree(root: Path) -> dict[str, bytes | None]:
    """Every entry under ``root``: a file's bytes, ``None`` for a folder; a link is read as
    what it is, never followed."""
    out: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if path.is_symlink():
            out[name] = b"-> " + os.readlink(path).encode()
        elif path.is_dir():
            out[name] = None
        else:
            out[name] = path.read_bytes()
    return out


def _archive(tmp_path: Path) -> Path:
    """A backup of a box with a photo, a model and a canopy series."""
    src = tmp_path / "src"
    with Store.open_dir(src) as store:
        store.create_token("office", "viewer")
    (src / "photos").mkdir()
    (src / "photos" / "a.jpg").write_bytes(b"the archive's photo")
    (src / "models" / "flow").mkdir(parents=True)
    (src / "models" / "flow" / "z1.json").write_bytes(b"the archive's model")
    (src / "canopy" / "z1").mkdir(parents=True)
    (src / "canopy" / "z1" / "series.jsonl").write_bytes(b"{}\n")
    return backup(src, tmp_path / "a.tar.gz").archive


def _box(data: Path, *, canopy_as_file: bool = False) -> dict[str, bytes | None]:
    """A box with its own database (and a WAL left by a daemon stopped unclean), photo,
    model, settings and canopy history (or a file named ``canopy``); what it holds."""
    with Store.open_dir(data) as store:
        store.create_token("own", "technician")
    (data / "qanat.db-wal").write_bytes(b"the box's own write-ahead log")
    (data / "photos").mkdir()
    (data / "photos" / "own.jpg").write_bytes(b"the box's photo")
    (data / "models" / "flow").mkdir(parents=True)
    (data / "models" / "flow" / "own.json").write_bytes(b"the box's model")
    (data / "site.overrides.toml").write_text("[policy]\n", encoding="utf-8")
    if canopy_as_file:
        (data / "canopy").write_bytes(b"not a folder")
    else:
        (data / "canopy" / "z9").mkdir(parents=True)
        (data / "canopy" / "z9" / "series.jsonl").write_bytes(b"the box's series\n")
    return _tree(data)


def test_a_file_where_a_folder_goes_is_refused_before_anything_is_touched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = _archive(tmp_path)
    box = tmp_path / "box"
    before = _box(box, canopy_as_file=True)
    argv = ["restore", str(archive), "--data-dir", str(box), "--force"]
    assert main(argv) != 0
    assert f"{box / 'canopy'} is a file" in capsys.readouterr().err
    assert _tree(box) == before


def test_a_database_rename_that_fails_puts_every_part_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = _archive(tmp_path)
    box = tmp_path / "box"
    before = _box(box)
    real_replace = os.replace

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if Path(dst) == box / DB_NAME and Path(src).name == DB_NAME:  # the archive's database
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(BackupError, match="No space left on device") as caught:
        restore(archive, box, force=True)
    assert str(box / DB_NAME) in str(caught.value)
    assert _tree(box) == before


def test_a_restore_that_succeeds_still_replaces_every_part(tmp_path: Path) -> None:
    archive = _archive(tmp_path)
    box = tmp_path / "box"
    _box(box)
    restore(archive, box, force=True)
    after = _tree(box)
    assert after["photos/a.jpg"] == b"the archive's photo" and "photos/own.jpg" not in after
    assert after["models/flow/z1.json"] == b"the archive's model"
    assert "models/flow/own.json" not in after and "canopy/z9" not in after
    assert "site.overrides.toml" not in after and "qanat.db-wal" not in after
    with tarfile.open(archive, "r:gz") as tar:
        held = tar.extractfile(DB_NAME)
        assert held is not None
        assert after[DB_NAME] == held.read()
    assert not [name for name in after if name.startswith(".qanat-restore-")]


def _with_link(archive: Path, out: Path, name: str, to: str) -> Path:
    """``archive``'s entries but those under ``name``, and ``name`` as a link to ``to``."""
    with tarfile.open(archive, "r:gz") as src, tarfile.open(out, "w:gz") as dst:
        for member in src.getmembers():
            if member.name.split("/")[0] != name:
                dst.addfile(member, src.extractfile(member) if member.isfile() else None)
        link = tarfile.TarInfo(name)
        link.type, link.linkname = tarfile.SYMTYPE, to
        dst.addfile(link, io.BytesIO())
    return out


def test_an_archive_with_a_link_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    """``photos -> .`` passes tarfile's ``data`` filter (a link inside the target); put in
    place it would make the box's photos folder its data directory."""
    archive = _with_link(_archive(tmp_path), tmp_path / "linked.tar.gz", "photos", ".")
    box = tmp_path / "box"
    before = _box(box)
    with pytest.raises(BackupError, match="entry 'photos' is a link"):
        restore(archive, box, force=True)
    assert _tree(box) == before


def test_a_part_that_cannot_be_put_back_is_kept_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database rename fails and so does moving the box's photos back: the staging
    folder holding them is kept, not removed, and the error names it."""
    archive = _archive(tmp_path)
    box = tmp_path / "box"
    _box(box)
    real_replace = os.replace

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if Path(dst) == box / DB_NAME and Path(src).name == DB_NAME:
            raise OSError(28, "No space left on device")
        if Path(dst) == box / "photos" and Path(src).name == "photos.replaced":
            raise OSError(5, "Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(BackupError, match="move them back by hand") as caught:
        restore(archive, box, force=True)
    (staging,) = box.glob(".qanat-restore-*")
    assert str(staging) in str(caught.value)
    assert (staging / "photos.replaced" / "own.jpg").read_bytes() == b"the box's photo"
    assert (box / "models" / "flow" / "own.json").read_bytes() == b"the box's model"
