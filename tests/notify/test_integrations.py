"""The daemon starts and stops the notifier and the bridge; neither can stop irrigation."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.clock import SystemClock
from controller.config.site import load_site
from controller.daemon.daemon import Daemon, StartupError
from controller.store import Store
from drivers.sim import Fault, FaultKind
from tests.helpers.notify import WebhookReceiver
from tests.helpers.servedports import served_field
from tests.helpers.site import quick_site


def test_a_bridge_that_cannot_start_is_a_warning_and_the_daemon_runs(tmp_path: Path) -> None:
    base = quick_site(tmp_path)
    base.path.write_text(
        base.path.read_text(encoding="utf-8")
        + '\n[mqtt]\nhost = "127.0.0.1"\ntls = true\nca_file = "/nonexistent/ca.pem"\n',
        encoding="utf-8",
    )
    with (
        served_field(load_site(base.path), step_s=3600) as (site, _),
        Store.open_dir(tmp_path / "d") as store,
    ):
        daemon = Daemon(site, store, SystemClock())
        daemon.start()
        try:
            assert daemon.ready.is_set()
            assert daemon.integrations.bridge is None and daemon.integrations.notifier is None
            (event,) = [e for e in store.events() if e.code == "mqtt_unavailable"]
            assert event.severity == "warning" and "ca.pem" in event.message
        finally:
            daemon.stop()


def test_a_site_without_the_sections_starts_neither(tmp_path: Path) -> None:
    with (
        served_field(quick_site(tmp_path), step_s=3600) as (site, _),
        Store.open_dir(tmp_path / "d") as store,
    ):
        daemon = Daemon(site, store, SystemClock())
        daemon.start()
        try:
            assert daemon.integrations.bridge is None and daemon.integrations.notifier is None
        finally:
            daemon.stop()


class _NoWait(SystemClock):
    """The system clock without waiting between start-up retries."""

    def sleep(self, seconds: float) -> None:
        return None


def test_a_site_that_cannot_be_made_safe_is_still_reported(tmp_path: Path) -> None:
    base = quick_site(tmp_path)
    with WebhookReceiver() as hook:
        base.path.write_text(
            base.path.read_text(encoding="utf-8")
            + f"""
[notify]
language = "en"

[[notify.channels]]
name = "ops"
kind = "wecom"
url = "{hook.url("/wecom")}"
timeout_s = 2
""",
            encoding="utf-8",
        )
        with served_field(load_site(base.path), step_s=3600) as (site, sim):
            relay = sim.devices["relay1"]
            relay.set("ch8", 1)
            relay.inject(Fault(FaultKind.STUCK, point="ch8"))  # a welded pump contactor
            with Store.open_dir(tmp_path / "d") as store:
                daemon = Daemon(site, store, _NoWait())
                with pytest.raises(StartupError):
                    daemon.start()
                daemon.stop()  # as `qanat run` does: the final pass sends the alarm
        (text,) = hook.texts("/wecom")
        assert text.startswith("[") and "CRITICAL: outputs could not be verified off" in text
