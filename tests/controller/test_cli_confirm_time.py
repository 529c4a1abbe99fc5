"""``qanat confirm-time`` as a real process: the audit entry, the daemon's view, the refusals."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

from controller.cli import exitcodes
from controller.clock import SystemClock, VirtualClock
from controller.runtime.timetrust import CONFIRM_ACTION, TimeTrust, boot_id
from controller.store import Severity, Store


def confirm_time(data: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "controller.cli", "confirm-time", "--data-dir", str(data), *extra],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_confirm_time_makes_an_unsynchronised_clock_trusted(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Store.open_dir(data) as store:
        before = TimeTrust(SystemClock(), store, synchronised=lambda: False)
        assert not before.verdict().trusted  # this machine's NTP state aside
    done = confirm_time(data)
    assert done.returncode == exitcodes.OK, done.stderr
    assert "wall clock confirmed" in done.stdout
    with Store.open_dir(data) as store:
        entry = store.last_audit(CONFIRM_ACTION)
        assert entry is not None and entry.actor.startswith("cli:")
        assert entry.detail["boot_id"] == boot_id() and entry.detail["over_records"] is False
        # A daemon started afterwards (another process, same boot) believes its clock.
        after = TimeTrust(SystemClock(), store, synchronised=lambda: False)
        v = after.verdict()
        assert v.trusted and v.condition == "confirmed"


def test_confirm_time_refuses_a_clock_behind_the_records_unless_told(tmp_path: Path) -> None:
    data = tmp_path / "data"
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=400)
    with Store.open_dir(data, clock=VirtualClock(future)) as store:
        store.raise_event(Severity.INFO, "x", "site", "stamped by a clock a year ahead")
    refused = confirm_time(data)
    assert refused.returncode == exitcodes.FAILED
    assert "not confirmed" in refused.stderr and "newest stored record" in refused.stderr
    assert "--over-records" in refused.stderr
    with Store.open_dir(data) as store:
        assert store.last_audit(CONFIRM_ACTION) is None
    forced = confirm_time(data, "--over-records")
    assert forced.returncode == exitcodes.OK, forced.stderr
    with Store.open_dir(data) as store:
        t = TimeTrust(SystemClock(), store, synchronised=lambda: False)
        assert t.verdict().trusted


def test_confirm_time_is_in_the_help(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "controller.cli", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "confirm-time" in out and "an admin confirms" in out


def test_a_data_dir_without_a_database_is_said(tmp_path: Path) -> None:
    data = tmp_path / "typo"
    first = confirm_time(data)
    assert first.returncode == exitcodes.OK, first.stderr
    assert f"note: {data} held no qanat.db" in first.stderr
    again = confirm_time(data)  # now the directory is one: nothing to say
    assert again.returncode == exitcodes.OK and "note:" not in again.stderr
