"""Start-up check of the relay modules' own fail-safe, against the simulated site."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from controller.clock import VirtualClock
from controller.config.site import SiteConfig, load_site
from controller.daemon.daemon import Daemon, StartupError
from controller.runtime.failsafe import FailSafeError, verify_failsafe
from controller.runtime.fieldio import FieldIO
from controller.simulation.harness import Simulation
from controller.store import Store
from drivers.sim import Fault, FaultKind
from tests.helpers.servedports import served_field
from tests.helpers.site import on_free_ports


def test_each_relay_module_answers_with_a_lease_and_all_coils_off(
    site: SiteConfig, sim: Simulation
) -> None:
    with FieldIO(site) as fieldio:
        checks = verify_failsafe(site, fieldio)
    assert [(c.device, c.unit, c.lease_kind, c.coils_read, c.coils_on) for c in checks] == [
        ("relay1", 1, "flash_on", 8, ())
    ]


def test_a_module_that_answers_with_an_exception_is_refused(
    site: SiteConfig, sim: Simulation
) -> None:
    sim.devices["relay1"].inject(Fault(FaultKind.EXCEPTION, code=2))  # illegal data address
    with FieldIO(site) as fieldio, pytest.raises(FailSafeError) as err:
        verify_failsafe(site, fieldio)
    assert err.value.problems[0].startswith("relay1 (unit 1 on bus 'head'")
    assert "does not answer as a relay module" in str(err.value)


def test_daemon_refuses_to_start_with_an_unmanaged_coil_left_on(tmp_path: Path) -> None:
    # A site that does not use ch6: all-off leaves it alone, the module check sees it on.
    text = (Path(__file__).parents[2] / "deploy/examples/demo-site.toml").read_text("utf-8")
    text = re.sub(r'^backflush_valve = "relay1.ch6"\n', "", text, flags=re.M)
    text = re.sub(r"^backflush_\w+ = .*\n", "", text, flags=re.M)
    text = on_free_ports(text)
    (tmp_path / "site.toml").write_text(text, encoding="utf-8")
    site = load_site(tmp_path / "site.toml")
    assert "relay1.ch6" not in {str(r) for r in site.output_roles().values()}
    with served_field(site, step_s=3600) as (site, sim):
        sim.devices["relay1"].set("ch6", 1)  # switched on by hand, no lease
        clock = VirtualClock(datetime(2026, 7, 1, tzinfo=UTC))
        with Store.open_dir(tmp_path / "data") as store:
            daemon = Daemon(site, store, clock)
            try:
                with pytest.raises(StartupError, match="coils still on after all-off: ch6"):
                    daemon.start(schedule=False)
                assert [a.code for a in store.open_alarms()] == ["startup_unsafe"]
            finally:
                daemon.fieldio.close()
