"""The daemon schedules the canopy job only for a site with cameras; the service reads it."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.canopy.errors import NotAnImage
from controller.clock import SystemClock
from controller.config.site import load_site
from controller.daemon.daemon import Daemon
from controller.daemon.protocol import UnknownName
from controller.daemon.service import DaemonService
from controller.store import Store
from drivers.sim.camera import SnapshotServer
from drivers.sim.canopy import Scene, draw_scene
from tests.helpers.canopy import camera_site
from tests.helpers.site import DEMO_SITE


def test_no_camera_no_canopy_job(tmp_path: Path) -> None:
    with Store.open_dir(tmp_path / "data") as store:
        daemon = Daemon(load_site(DEMO_SITE), store, SystemClock())
        assert not [j for j in daemon.jobs() if j.name == "canopy"]
        assert DaemonService(daemon).canopy("z1").camera is False


def test_the_canopy_job_fills_the_zone_s_series_and_photo(tmp_path: Path) -> None:
    with SnapshotServer(lambda: 0.3, film="black", seed=2) as camera:
        site = camera_site(tmp_path, {"z3": f'url = "{camera.url}", interval_min = 15'})
        with Store.open_dir(tmp_path / "data") as store:
            daemon = Daemon(site, store, SystemClock())
            (job,) = [j for j in daemon.jobs() if j.name == "canopy"]
            assert job.kind == "task" and job.every_s == 60.0
            job.func()
            service = DaemonService(daemon)
            view = service.canopy("z3")
            assert view.camera and view.interval_min == 15
            (point,) = view.points
            assert point.status == "ok" and point.cover is not None
            assert abs(point.cover - 0.3) < 0.08
            photo = service.canopy_photo("z3")
            assert photo.parent == (tmp_path / "data").resolve() / "canopy" / "z3"
            assert photo.name == view.latest_photo == point.image
            assert service.canopy_photo("z3", photo.name) == photo
            # the classifier trained from the shipped set was kept beside the other models
            assert (tmp_path / "data" / "models" / "canopy" / "site.joblib").is_file()
            with pytest.raises(UnknownName, match="no photo"):
                service.canopy_photo("z1")
            # a technician's photo of a zone without camera: estimated, kept, audited
            sent = draw_scene(Scene(cover=0.7, film="white", seed=9))
            got = service.add_canopy_photo("z1", sent.jpeg(), "tian")
            assert got.status == "ok" and got.cover is not None
            assert abs(got.cover - sent.cover_fraction) < 0.08
            assert got.detail == "uploaded by tian"
            assert service.canopy("z1").points == (got,)
            assert service.canopy_photo("z1", got.image).read_bytes() == sent.jpeg()
            (audit,) = [a for a in store.rows_after("audit", 0) if a.action == "canopy.upload"]  # type: ignore[attr-defined]
            assert audit.actor == "tian" and audit.detail == {"zone": "z1", "cover": got.cover}
            with pytest.raises(NotAnImage, match="uploaded by tian"):
                service.add_canopy_photo("z1", b"<html>", "tian")
            with pytest.raises(UnknownName, match="nope"):
                service.canopy("nope")
