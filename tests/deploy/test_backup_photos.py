"""``qanat backup`` / ``qanat restore`` carry the crop desk's photos (``photos/``, named by the
``crop_observations`` rows) and the canopy camera's history (``canopy/<zone>/``: its series
and images): a box restored into a fresh data directory serves the stage's photo over the
API and reads its canopy series from its own records; an archive made before they were kept
leaves the box's own as they are."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import tarfile
from pathlib import Path

import pytest

from controller.canopy.records import CoverRecord, CoverRecords, canopy_dir_of
from controller.cli import main
from controller.cli.backup import MANIFEST, backup, restore
from controller.store import Store
from tests.helpers.api import TOKEN_NAMES
from tests.helpers.asgi import asgi_client
from tests.helpers.fakes import FakeControlService
from tests.helpers.photos import jpeg_bytes, png_bytes
from web.app import create_app

API = "/api/v1"
SHOT_AT = dt.datetime(2026, 5, 14, 6, 30, tzinfo=dt.UTC)
# the fake service's today is 2026-05-14; z1 (demo site) was sown on 2026-04-20
STAGE = {"stage": "VE", "observed_on": "2026-05-08", "note": "出苗整齐"}


def _box(data: Path) -> int:
    """A data directory whose z1 has a stage recorded with a photo through the API and a
    canopy photo with its cover; the observation's id."""
    with Store.open_dir(data) as store:
        app = create_app(FakeControlService(probe_store=store), store)
        token = store.create_token(TOKEN_NAMES["technician"], "technician")[1]
        body = {**STAGE, "photo_base64": base64.b64encode(jpeg_bytes()).decode()}
        with asgi_client(app) as client:
            r = client.post(f"{API}/zones/z1/observations", token=token, json=body)
        assert r.status_code == 201, r.text
        canopy = canopy_dir_of(store)
        assert canopy is not None
        CoverRecords(canopy).add(CoverRecord("z1", SHOT_AT, "ok", 0.42), png_bytes())
    return int(r.json()["id"])


def _served_photo(data: Path, observation_id: int) -> bytes:
    """The stage's photo as ``GET …/observations/{id}/photo`` serves it from ``data``."""
    with Store.open_dir(data) as store:
        app = create_app(FakeControlService(probe_store=store), store)
        token = store.create_token("restored-viewer", "viewer")[1]
        with asgi_client(app) as client:
            r = client.get(f"{API}/zones/z1/observations/{observation_id}/photo", token=token)
    assert r.status_code == 200, r.text
    return r.content


def test_a_restored_box_serves_its_crop_photo_and_its_canopy_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    observation_id = _box(src)
    (src / "photos" / ".z1-VE-half.jpg.part").write_bytes(b"half a photo")
    out = tmp_path / "b.tar.gz"
    assert main(["backup", "--data-dir", str(src), str(out)]) == 0
    said = capsys.readouterr().out
    assert "1 crop photos, 2 canopy files (z1 2)" in said, said
    with tarfile.open(out) as tar:
        names = tar.getnames()
    assert [n for n in names if n.startswith("photos/")] == [
        f"photos/{p.name}" for p in (src / "photos").glob("z1-VE-*.jpg")
    ]
    assert "canopy/z1/series.jsonl" in names and "canopy/z1/20260514T063000Z.png" in names

    assert main(["restore", str(out), "--data-dir", str(dst)]) == 0
    assert "1 crop photos, 2 canopy files (z1 2)" in capsys.readouterr().out
    assert _served_photo(dst, observation_id) == jpeg_bytes()
    records = CoverRecords(dst / "canopy")
    assert [(r.cover, r.image) for r in records.series("z1")] == [(0.42, "20260514T063000Z.png")]
    photo = records.latest_photo("z1")
    assert photo is not None and photo.read_bytes() == png_bytes()
    assert not list((dst / "photos").glob(".*.part"))


def test_a_box_without_photos_restored_over_keeps_none_of_the_old_ones(tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    Store.open_dir(bare).close()
    out = backup(bare, tmp_path / "bare.tar.gz").archive
    box = tmp_path / "box"
    _box(box)
    report = restore(out, box, force=True)
    assert (report.photos, report.canopy) == (0, {})
    assert not any((box / "photos").iterdir()) and not any((box / "canopy").iterdir())


def test_an_archive_made_before_photos_were_kept_leaves_the_box_s_own(tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    Store.open_dir(bare).close()
    out = backup(bare, tmp_path / "old.tar.gz").archive
    with tarfile.open(out) as tar:  # the manifest of an archive of before: settings, models
        members = [(m, tar.extractfile(m)) for m in tar.getmembers()]
        kept = {m.name: (m, f.read() if f else b"") for m, f in members}
    manifest = json.loads(kept[MANIFEST][1])
    manifest["keeps"] = ["settings", "models"]
    kept[MANIFEST] = (kept[MANIFEST][0], json.dumps(manifest).encode())
    old = tmp_path / "older.tar.gz"
    with tarfile.open(old, "w:gz") as tar:
        for member, data in kept.values():
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    box = tmp_path / "box"
    _box(box)
    restore(old, box, force=True)
    assert len(list((box / "photos").glob("z1-VE-*.jpg"))) == 1
    assert (box / "canopy" / "z1" / "series.jsonl").is_file()
