"""The settings file written by another process (the CLI, a hand edit) taken up by a running
daemon's service without a restart; a broken one refused, the running settings kept."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.agronomy.drydown import DryDownStates
from controller.cli import exitcodes, main
from controller.clock import VirtualClock
from controller.config import overrides
from controller.config.site import SiteConfig, load_site
from controller.daemon.daemon import Daemon
from controller.daemon.protocol import SettingsInvalid
from controller.daemon.service import DaemonService
from controller.daemon.settingsfile import SettingsFileWatch
from controller.store import Decision, Store
from tests.helpers.agronomy import hold_under_way, local, seed_balance, weather_day
from tests.helpers.site import DEMO_SITE

DAY = dt.date(2026, 6, 2)  # z1 (seed corn, planted 20 April): vegetative


@pytest.fixture(scope="module")
def demo() -> SiteConfig:
    return load_site(DEMO_SITE)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data: Path, demo: SiteConfig) -> Iterator[Store]:
    with Store.open_dir(data) as s:
        for back in (3, 2, 1):
            weather_day(s, DAY - dt.timedelta(days=back))
        # Dr at 70 % of TAW: past the ET rule's trigger (MAD 0.40), short of 80 %
        seed_balance(s, demo, "z1", DAY - dt.timedelta(days=1), 0.7)
        yield s


@pytest.fixture
def service(demo: SiteConfig, store: Store, data: Path) -> DaemonService:
    return DaemonService(Daemon(demo, store, VirtualClock(local(DAY, 18))), data_dir=data)


def _z1(store: Store) -> Decision:
    return max((d for d in store.decisions() if d.zone == "z1"), key=lambda d: d.id or 0)


def _cli_dry_down(data: Path, fraction: str) -> int:
    return main(
        [
            *("soil", "--data-dir", str(data), "dry-down", "z1"),
            *("--fraction", fraction, "--config", str(DEMO_SITE)),
        ]
    )


def test_a_cli_dry_down_is_taken_up_without_a_restart(
    service: DaemonService, store: Store, data: Path
) -> None:
    assert service.reload_settings_file() is False  # nothing written since it started
    assert _cli_dry_down(data, "0.8") == exitcodes.OK
    assert service.reload_settings_file() is True
    assert service.site.zones[0].calibration_dry_down == 0.8
    assert "today's refill starts it, held from 2026-06-03" in _z1(store).reason  # re-planned
    assert service.soil_fit("z1")["dry_down"]["phase"] == "requested"
    assert service.reload_settings_file() is False  # taken up once
    (audit,) = [a for a in store.rows_after("audit", 0) if a.action == "settings.reload"]  # type: ignore[attr-defined]
    assert audit.detail == {"file": str(data / overrides.OVERRIDES_FILE)}


def test_a_second_cli_request_with_the_same_fraction_starts_again(
    service: DaemonService, store: Store, data: Path
) -> None:
    service.request_dry_down("z1", 0.8, "ada")
    service.withdraw_dry_down("z1", "ada")
    assert service.soil_fit("z1")["dry_down"]["phase"] == "done"
    # the same setting, a new request: the state file is read again, asked again
    assert _cli_dry_down(data, "0.8") == exitcodes.OK
    assert service.reload_settings_file() is True
    assert service.soil_fit("z1")["dry_down"]["phase"] == "requested"
    assert "today's refill starts it, held from 2026-06-03" in _z1(store).reason


def test_a_hand_edit_is_taken_up_and_removing_it_gives_the_site_file_back(
    service: DaemonService, data: Path
) -> None:
    path = data / overrides.OVERRIDES_FILE
    path.write_text("[zones.z1]\nmad_fraction = 0.3\n", encoding="utf-8")
    assert service.reload_settings_file() is True
    assert service.site.zones[0].mad_fraction == 0.3
    path.unlink()
    assert service.reload_settings_file() is True
    assert service.site.zones[0].mad_fraction is None


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[zones.z1]\ncalibration_dry_down = 0.95\n", "zones[0].calibration_dry_down"),
        ("[zones.z9]\nmad_fraction = 0.3\n", "zones.z9: no such zone"),
        ("[zones.z1]\nmax_run_min = 5\n", "zones[0].max_run_min: not editable"),
        ("[zones.z1\nmad_fraction = 0.3\n", "not valid TOML"),
    ],
)
def test_a_broken_file_is_refused_naming_file_and_key_and_the_running_settings_stay(
    service: DaemonService, store: Store, data: Path, text: str, named: str
) -> None:
    service.request_dry_down("z1", 0.8, "ada")  # a page's change: saved and running
    before = service.site
    path = data / overrides.OVERRIDES_FILE
    path.write_text(text, encoding="utf-8")
    assert service.reload_settings_file() is False
    assert service.site is before and service.site.zones[0].calibration_dry_down == 0.8
    (event,) = [e for e in store.open_alarms() if e.code == "settings_refused"]
    assert named in event.message and overrides.OVERRIDES_FILE in event.message
    assert path.read_text(encoding="utf-8") == text  # left for the admin to mend
    assert service.reload_settings_file() is False  # said once, not every check
    assert len([e for e in store.open_alarms() if e.code == "settings_refused"]) == 1
    # mended: taken up
    path.write_text("[zones.z1]\ncalibration_dry_down = 0.75\n", encoding="utf-8")
    assert service.reload_settings_file() is True
    assert service.site.zones[0].calibration_dry_down == 0.75


def test_a_page_change_over_a_file_that_is_not_toml_is_refused_not_written_over(
    service: DaemonService, data: Path
) -> None:
    path = data / overrides.OVERRIDES_FILE
    path.write_text("[zones.z1\nmad_fraction = 0.3\n", encoding="utf-8")
    with pytest.raises(SettingsInvalid) as refused:
        service.request_dry_down("z1", 0.75, "ada")
    assert any(overrides.OVERRIDES_FILE in p for p in refused.value.problems)
    assert path.read_text(encoding="utf-8").startswith("[zones.z1\n")
    assert service.soil_fit("z1")["dry_down"]["phase"] is None  # the request taken back


def test_the_watch_sees_a_replacement_even_with_the_same_size_and_time(tmp_path: Path) -> None:
    path = tmp_path / overrides.OVERRIDES_FILE
    path.write_text("a", encoding="utf-8")
    watch = SettingsFileWatch(path)
    assert not watch.changed()
    tmp = tmp_path / "new"
    tmp.write_text("b", encoding="utf-8")
    st = path.stat()
    os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(tmp, path)  # as every writer saves: a rename, a new inode
    assert watch.changed() and not watch.changed()
    watch.seen()
    path.unlink()
    assert watch.changed()


def test_a_state_file_written_by_another_process_is_read_again(tmp_path: Path) -> None:
    daemon_side = DryDownStates(tmp_path)
    assert daemon_side.get("z1") is None
    DryDownStates(tmp_path).request("z1", 0.8, dt.datetime(2026, 6, 2, tzinfo=dt.UTC))
    got = daemon_side.get("z1")
    assert got is not None and got.phase == "requested"


def test_a_hand_edit_taking_the_setting_away_mid_hold_plans_as_if_never_asked(
    service: DaemonService, store: Store, data: Path
) -> None:
    service.d.plan()
    never = _z1(store)
    service.request_dry_down("z1", 0.8, "ada")
    hold_under_way(service, DAY)
    assert "refill held" in _z1(store).reason
    (data / overrides.OVERRIDES_FILE).write_text("# emptied by hand\n", encoding="utf-8")
    assert service.reload_settings_file() is True
    after = _z1(store)
    # the normal rule's run, at its slot; the hold said to end, not to have been reached
    assert (after.action, after.planned_start) == (never.action, never.planned_start)
    ended = "; calibration dry-down ended: calibration_dry_down was removed from the settings"
    assert after.reason.startswith(never.reason.split("; ")[0])
    assert ended in after.reason and "Dr reaches 80%" not in after.reason
    assert service.soil_fit("z1")["dry_down"]["phase"] is None  # no setting: nothing shown


def test_a_file_written_while_the_daemon_started_is_taken_up_at_the_first_check(
    demo: SiteConfig, store: Store, data: Path
) -> None:
    daemon = Daemon(demo, store, VirtualClock(local(DAY, 18)))  # started without the file
    assert _cli_dry_down(data, "0.8") == exitcodes.OK  # before its service was made
    service = DaemonService(daemon, data_dir=data)
    assert [j.every_s for j in daemon.jobs() if j.name == "settings_file"] == [2.0]
    assert service.reload_settings_file() is True
    assert service.site.zones[0].calibration_dry_down == 0.8
    # a service over a daemon that runs the file as it is: nothing to take up
    again = DaemonService(Daemon(service.site, store, daemon.clock), data_dir=data)
    assert again.reload_settings_file() is False
    assert [
        j.name for j in Daemon(demo, store, daemon.clock).jobs() if j.name == "settings_file"
    ] == []


def test_a_second_service_replaces_the_check_of_the_first(
    demo: SiteConfig, store: Store, data: Path
) -> None:
    daemon = Daemon(demo, store, VirtualClock(local(DAY, 18)))
    DaemonService(daemon, data_dir=data)
    second = DaemonService(daemon, data_dir=data)
    (job,) = [j for j in daemon.jobs() if j.name == "settings_file"]
    assert job.func == second.reload_settings_file
