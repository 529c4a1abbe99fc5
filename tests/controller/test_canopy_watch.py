"""The canopy job against simulated cameras: covers stored with photos, faults named, bounded."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.canopy.classifier import KEY, CanopyModel
from controller.canopy.records import CoverRecords
from controller.canopy.watch import STATUSES, CanopyWatch
from drivers.sim.camera import SnapshotServer
from models.learning.canopy import FORMAT_VERSION, KIND
from models.learning.persist import load_model
from tests.helpers.canopy import Now, camera_site

TRUTH = 0.55


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models directory holding the classifier trained from the shipped set (once)."""
    directory = tmp_path_factory.mktemp("models")
    CanopyModel(directory).get(Now()())
    return directory


@pytest.fixture
def camera() -> Iterator[SnapshotServer]:
    with SnapshotServer(lambda: TRUTH, film="white", seed=4) as cam:
        yield cam


def _watch(tmp_path: Path, models_dir: Path, cameras: dict[str, str], now: Now) -> CanopyWatch:
    site = camera_site(tmp_path, cameras)
    records = CoverRecords(tmp_path / "canopy")
    return CanopyWatch(lambda: site, records, CanopyModel(models_dir), now)


def test_the_shipped_set_trains_a_model_that_is_saved_and_loaded(models_dir: Path) -> None:
    saved = load_model(models_dir, KIND, KEY, FORMAT_VERSION)
    assert saved.n_samples > 50_000 and "training.npz" in saved.meta["training"]
    # loaded, not trained again: a missing training set would fail a training
    model = CanopyModel(models_dir, training=models_dir / "absent.npz")
    assert model.get(Now()()).n_pixels == saved.n_samples


def test_a_due_camera_gives_the_zone_its_cover_and_photo(
    tmp_path: Path, models_dir: Path, camera: SnapshotServer
) -> None:
    now = Now()
    watch = _watch(tmp_path, models_dir, {"z2": f'url = "{camera.url}", interval_min = 30'}, now)
    [done] = watch.check()
    assert done.zone == "z2" and done.status == "ok"
    assert done.cover is not None and abs(done.cover - TRUTH) < 0.08
    [line] = watch.records.series("z2")
    assert line.cover == done.cover and line.image is not None
    photo = watch.records.latest_photo("z2")
    assert photo is not None and photo.name == line.image and photo.read_bytes()[:2] == b"\xff\xd8"
    # not due again before its interval; due after it
    now.advance(minutes=29)
    assert watch.check() == [] and camera.requests == 1
    now.advance(minutes=1)
    assert [d.status for d in watch.check()] == ["ok"] and camera.requests == 2


def _closed_port_url() -> tuple[socket.socket, str]:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
    return s, f"http://127.0.0.1:{s.getsockname()[1]}/snapshot.jpg"


@pytest.mark.parametrize(
    ("fault", "status"),
    [("http_500", "http_error"), ("not_image", "not_image"), ("hang", "timeout")],
)
def test_camera_faults_are_named_statuses_and_recorded(
    tmp_path: Path,
    models_dir: Path,
    camera: SnapshotServer,
    fault: str,
    status: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = Now()
    cam = f'url = "{camera.url}", interval_min = 1, timeout_s = 0.4'
    watch = _watch(tmp_path, models_dir, {"z1": cam}, now)
    camera.fault = fault  # type: ignore[assignment]
    with caplog.at_level(logging.DEBUG, logger="controller.canopy.watch"):
        first = watch.check()
        now.advance(minutes=1)
        second = watch.check()
        camera.fault = None
        now.advance(minutes=1)
        third = watch.check()
    assert [r.status for r in first + second + third] == [status, status, "ok"]
    assert status in STATUSES and camera.url in first[0].detail
    assert [r.status for r in watch.records.series("z1")] == [status, status, "ok"]
    assert watch.status()["z1"].status == "ok"
    by_level = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert [m for lvl, m in by_level if lvl == "ERROR"] == [
        f"canopy of zone z1: {status} ({first[0].detail})"
    ]  # once at ERROR, the repeat at DEBUG, the recovery at INFO
    assert any(lvl == "DEBUG" and "still" in m for lvl, m in by_level)
    assert any(lvl == "INFO" and "camera back" in m for lvl, m in by_level)


def test_an_unreachable_camera_does_not_hold_the_other_zone(
    tmp_path: Path, models_dir: Path, camera: SnapshotServer
) -> None:
    sock, url = _closed_port_url()
    with sock:
        watch = _watch(
            tmp_path, models_dir, {"z1": f'url = "{url}"', "z3": f'url = "{camera.url}"'}, Now()
        )
        done = {r.zone: r.status for r in watch.check()}
    assert done == {"z1": "unreachable", "z3": "ok"}


def test_only_the_newest_photos_are_kept(
    tmp_path: Path, models_dir: Path, camera: SnapshotServer
) -> None:
    now = Now()
    cam = f'url = "{camera.url}", interval_min = 10, keep_images = 2'
    watch = _watch(tmp_path, models_dir, {"z1": cam}, now)
    for _ in range(4):
        watch.check()
        now.advance(minutes=10)
    series = watch.records.series("z1")
    assert len(series) == 4
    kept = sorted(p.name for p in (tmp_path / "canopy" / "z1").glob("*.jpg"))
    assert kept == [r.image for r in series[-2:]]
    assert watch.records.photo("z1", series[0].image or "") is None
    assert watch.records.photo("z1", "../../site.toml") is None


def test_no_classifier_and_a_refusing_disk_are_statuses_too(
    tmp_path: Path, models_dir: Path, camera: SnapshotServer
) -> None:
    site = camera_site(tmp_path, {"z1": f'url = "{camera.url}"'})
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a training set")
    watch = CanopyWatch(
        lambda: site,
        CoverRecords(tmp_path / "canopy"),
        CanopyModel(None, training=broken),
        Now(),
    )
    [done] = watch.check()
    assert done.status == "no_classifier" and "not a canopy training set" in done.detail

    (tmp_path / "full").write_text("a file where the directory should be")
    refusing = CanopyWatch(
        lambda: site, CoverRecords(tmp_path / "full"), CanopyModel(models_dir), Now()
    )
    [done] = refusing.check()
    assert done.status == "not_stored" and "Not a directory" in done.detail
    assert done.cover is not None  # estimated all the same
