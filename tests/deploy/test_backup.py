"""``qanat backup`` / ``qanat restore``: consistent copies while the daemon writes."""

from __future__ import annotations

import sqlite3
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

from controller.cli.backup import BackupError, backup, restore
from controller.config.site import SiteConfig
from controller.simulation.harness import Simulation
from controller.store import Store
from drivers.profile import KIND_POINTS
from tests.helpers.deploy import QANAT, NotifySocket, base_env, start_run, stop


def _count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _wait_for_more(db: Path, than: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if db.exists() and _count(db, "readings") > than:
            return
        time.sleep(0.2)
    raise AssertionError(f"the daemon wrote no readings beyond {than} in {timeout_s} s")


def test_round_trip_while_the_daemon_writes(
    site: SiteConfig,
    live_sim: Simulation,
    warm_cache: Path,
    notify_socket: NotifySocket,
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    config = tmp_path / "etc"
    config.mkdir()
    (config / "site.toml").write_bytes(site.path.read_bytes())
    # Commit readings often and keep every poll of every kind (the shipped per-kind heartbeats
    # of half an hour would leave only moving values), so the daemon writes within seconds.
    every_poll = "".join(
        f"\n[store.telemetry.{kind}]\nheartbeat_s = 10\ndeadband_pct = 0\n" for kind in KIND_POINTS
    )
    busy = tmp_path / "busy-site.toml"
    busy.write_text(
        site.path.read_text(encoding="utf-8")
        + "\n[store]\nflush_s = 2\nidle_flush_s = 2\nheartbeat_s = 10\ndeadband_pct = 0\n"
        + every_poll,
        encoding="utf-8",
    )
    env = {**base_env(warm_cache), "NOTIFY_SOCKET": str(notify_socket.path)}
    proc = start_run(busy, data, env)
    counts: list[int] = []
    try:
        notify_socket.wait_for("READY=1", 60, proc)
        for i in range(2):  # wait for the daemon to commit new readings, then back up
            _wait_for_more(data / "qanat.db", counts[-1] if counts else 0)
            report = backup(data, tmp_path / f"b{i}.tar.gz", config_dir=config)
            assert report.config_files == 1 and report.revision is not None
            target = tmp_path / f"restored{i}"
            restore(report.archive, target, config_dir=tmp_path / f"etc{i}")
            db = target / "qanat.db"
            assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            with Store.open_dir(target):  # opens at the current schema
                pass
            counts.append(_count(db, "readings"))
            assert (tmp_path / f"etc{i}" / "site.toml").read_bytes() == site.path.read_bytes()
        # the CLI, too, while the daemon runs
        cli = subprocess.run(
            [str(QANAT), "backup", "--data-dir", str(data), str(tmp_path / "cli.tar.gz")],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert cli.returncode == 0, cli.stderr
    finally:
        status, out = stop(proc)
    assert status == 0, out
    assert 0 < counts[0] < counts[1]  # each backup holds what was committed before it
    assert _count(data / "qanat.db", "readings") >= counts[-1]


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    data = tmp_path / "src"
    with Store.open_dir(data) as store:
        store.create_token("office", "viewer")
    return backup(data, tmp_path / "a.tar.gz").archive


def test_restore_refuses_a_non_empty_data_dir_without_force(archive: Path, tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    (target / "qanat.db").write_bytes(b"precious")
    (target / "qanat.db-wal").write_bytes(b"stale")
    with pytest.raises(BackupError, match="not empty"):
        restore(archive, target)
    assert (target / "qanat.db").read_bytes() == b"precious"
    restore(archive, target, force=True)
    assert not (target / "qanat.db-wal").exists()
    with Store.open_dir(target) as store:
        assert [t.name for t in store.tokens()] == ["office"]


def test_restore_refuses_an_archive_from_a_newer_qanat(archive: Path, tmp_path: Path) -> None:
    unpacked = tmp_path / "unpacked"
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="data")
    conn = sqlite3.connect(unpacked / "qanat.db")
    with conn:
        conn.execute("UPDATE alembic_version SET version_num = '0042_from_the_future'")
    conn.close()
    newer = tmp_path / "newer.tar.gz"
    with tarfile.open(newer, "w:gz") as tar:
        tar.add(unpacked / "qanat.db", "qanat.db")
    with pytest.raises(BackupError, match="0042_from_the_future"):
        restore(newer, tmp_path / "target")
    assert not (tmp_path / "target" / "qanat.db").exists()


def test_restore_refuses_a_damaged_database(tmp_path: Path) -> None:
    junk = tmp_path / "qanat.db"
    junk.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4096)
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(damaged, "w:gz") as tar:
        tar.add(junk, "qanat.db")
    with pytest.raises(BackupError, match=r"does not open|integrity"):
        restore(damaged, tmp_path / "target")


def test_backup_without_a_database_names_it(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="no database"):
        backup(tmp_path, tmp_path / "x.tar.gz")
    assert not (tmp_path / "x.tar.gz").exists()


def test_the_pages_settings_go_with_the_database(tmp_path: Path) -> None:
    data = tmp_path / "src"
    with Store.open_dir(data):
        pass
    saved = "[policy]\nrain_skip_mm = 8.0\n"
    (data / "site.overrides.toml").write_text(saved, encoding="utf-8")
    made = backup(data, tmp_path / "a.tar.gz").archive
    target = tmp_path / "target"
    restore(made, target)
    assert (target / "site.overrides.toml").read_text(encoding="utf-8") == saved


def test_a_place_that_cannot_be_written_is_said(archive: Path, tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a directory\n", encoding="utf-8")
    with pytest.raises(BackupError, match=rf"^{a_file} is a file, not a data directory$"):
        restore(archive, a_file)
    with pytest.raises(BackupError, match=rf"^{a_file}/b.tar.gz: cannot write the archive there"):
        backup(tmp_path / "src", a_file / "b.tar.gz")
    with pytest.raises(BackupError, match=rf"^{a_file}/data: cannot make the data directory"):
        restore(archive, a_file / "data")
