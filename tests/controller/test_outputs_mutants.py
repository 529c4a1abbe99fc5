"""The leased outputs on their own, against a bus that records and fails on demand: the
order things go off, lease renewal at a third, errors kept per output, the retries of
all_off_verified (scripts/mutation.sh controller/runtime/outputs.py)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from controller.clock import VirtualClock
from controller.config.site import OutputRef
from controller.runtime.outputs import Outputs, all_off_verified
from drivers.errors import DeviceError, FieldIOError, VerifyMismatch

LEASE_S = 30.0
ROLES = {
    "valve:a": OutputRef("relay1", "ch1"),
    "valve:b": OutputRef("relay1", "ch2"),
    "master_valve": OutputRef("relay1", "ch3"),
    "pump": OutputRef("relay2", "ch1"),
}


class FakeBus:
    """Records every switch; a point in ``failing`` fails (``fail_times`` times, or always)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.failing: set[str] = set()
        self.fail_times: int | None = None
        self.down: set[str] = set()  # modules that answer no request at all
        self.welded: set[str] = set()  # points an off leaves on (read back on)

    def _maybe_fail(self, device: str, point: str) -> None:
        if f"{device}.{point}" not in self.failing or self.fail_times == 0:
            return
        if self.fail_times is not None:
            self.fail_times -= 1
        raise DeviceError(device, "stuck")

    def lease_output(self, device: str, point: str, lease_s: float) -> None:
        assert lease_s == LEASE_S
        self._maybe_fail(device, point)
        self.calls.append(("lease", f"{device}.{point}"))

    def output_off(self, device: str, point: str) -> None:
        self.calls.append(("off", f"{device}.{point}"))
        self._maybe_fail(device, point)
        if f"{device}.{point}" in self.welded:
            raise VerifyMismatch(device, point, [0], [1])

    def outputs_off(self, device: str, points: list[str]) -> dict[str, FieldIOError]:
        """As the bus does: a point that fails or reads back on is named with why."""
        if device in self.down:
            self.calls.append(("no answer", device))
            raise DeviceError(device, "no answer")
        failures: dict[str, FieldIOError] = {}
        for point in points:
            try:
                self.output_off(device, point)
            except FieldIOError as exc:
                failures[point] = exc
        return failures


def rig(roles: dict[str, OutputRef] = ROLES) -> tuple[Outputs, FakeBus, VirtualClock, Any]:
    bus = FakeBus()
    site = SimpleNamespace(safety=SimpleNamespace(lease_s=LEASE_S), output_roles=lambda: roles)
    fieldio = SimpleNamespace(bus_of=lambda device: bus)
    clock = VirtualClock(datetime(2026, 6, 1, tzinfo=UTC))
    clock.advance(100.0)  # a monotonic clock far from zero
    return Outputs(site, fieldio, clock), bus, clock, site  # type: ignore[arg-type]


def test_the_status_of_each_role_names_it() -> None:
    outputs, _bus, _clock, site = rig()
    assert outputs.site is site
    assert outputs.roles() == list(ROLES)
    assert all(outputs.status[r].role == r for r in ROLES)


def test_a_failed_switch_is_kept_on_its_output_until_one_succeeds() -> None:
    outputs, bus, _clock, _site = rig()
    bus.failing = {"relay1.ch1"}
    with pytest.raises(DeviceError):
        outputs.on("valve:a")
    assert outputs.status["valve:a"].last_error == "relay1: stuck"
    assert outputs.status["valve:a"].wanted_on is False
    bus.failing = set()
    outputs.on("valve:a")
    assert outputs.status["valve:a"].last_error == ""
    bus.failing = {"relay1.ch1"}
    with pytest.raises(DeviceError):
        outputs.off("valve:a")
    assert outputs.status["valve:a"].last_error == "relay1: stuck"
    assert outputs.status["valve:a"].wanted_on is False  # never renewed again
    bus.failing = set()
    outputs.off("valve:a")
    assert outputs.status["valve:a"].last_error == ""


def test_a_lease_is_renewed_once_a_third_of_it_is_used() -> None:
    outputs, bus, clock, _site = rig()
    outputs.on("valve:a")
    clock.advance(LEASE_S / 3 - 0.5)
    assert outputs.renew_due() == {}
    assert bus.calls == [("lease", "relay1.ch1")]
    clock.advance(0.5)  # exactly a third
    assert outputs.renew_due() == {}
    assert bus.calls == [("lease", "relay1.ch1")] * 2
    assert outputs.status["valve:a"].leased_at == clock.monotonic()


def test_a_failed_renewal_is_reported_by_role() -> None:
    outputs, bus, clock, _site = rig()
    outputs.on("valve:a")
    outputs.on("valve:b")
    bus.failing = {"relay1.ch2"}
    clock.advance(LEASE_S / 3)
    failures = outputs.renew_due()
    assert list(failures) == ["valve:b"]
    assert isinstance(failures["valve:b"], DeviceError)


def test_all_off_stops_the_pump_first_tries_every_output_and_logs_each_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outputs, bus, _clock, _site = rig()
    bus.failing = {"relay1.ch1"}
    with caplog.at_level(logging.ERROR, logger="controller.runtime.outputs"):
        failures = outputs.all_off()
    assert [c for _, c in bus.calls] == ["relay2.ch1", "relay1.ch3", "relay1.ch1", "relay1.ch2"]
    assert list(failures) == ["valve:a"]
    assert isinstance(failures["valve:a"], DeviceError)
    assert caplog.messages == ["could not switch valve:a (relay1.ch1) off: relay1: stuck"]


def test_all_off_verified_retries_with_doubling_delays_up_to_the_cap(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outputs, bus, clock, _site = rig()
    bus.failing = {"relay1.ch1"}
    start = clock.monotonic()
    with caplog.at_level(logging.WARNING, logger="controller.runtime.outputs"):
        failures = all_off_verified(outputs)
    assert list(failures) == ["valve:a"]
    assert bus.calls.count(("off", "relay1.ch1")) == 3  # three attempts by default
    assert clock.monotonic() - start == pytest.approx(0.5 + 1.0)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert warnings[0].startswith("outputs not yet off (attempt 1 of 3): {'valve:a': ")
    assert warnings[1].startswith("outputs not yet off (attempt 2 of 3): ")

    start = clock.monotonic()
    all_off_verified(outputs, attempts=7)
    # 0.5, 1, 2, 4, 8, then held at the 8 s cap
    assert clock.monotonic() - start == pytest.approx(0.5 + 1 + 2 + 4 + 8 + 8)


def test_all_off_verified_stops_at_the_first_clean_attempt() -> None:
    outputs, bus, clock, _site = rig()
    bus.failing = {"relay1.ch1"}
    bus.fail_times = 1
    start = clock.monotonic()
    assert all_off_verified(outputs, attempts=5) == {}
    assert bus.calls.count(("off", "relay1.ch1")) == 2
    assert clock.monotonic() - start == pytest.approx(0.5)


def test_the_check_runs_only_once_every_output_is_off_and_its_failures_count() -> None:
    outputs, bus, _clock, _site = rig()
    checks: list[int] = []

    def failing_check() -> dict[str, Exception]:
        checks.append(1)
        return {"relay1": RuntimeError("no fail-safe")}

    failures = all_off_verified(outputs, attempts=2, check=failing_check)
    assert list(failures) == ["relay1"]
    assert len(checks) == 2

    bus.failing = {"relay1.ch1"}
    checks.clear()
    failures = all_off_verified(outputs, attempts=2, check=failing_check)
    assert list(failures) == ["valve:a"]
    assert checks == []

    bus.failing = set()
    assert all_off_verified(outputs, attempts=2, check=dict) == {}


def test_a_module_that_does_not_answer_fails_each_of_its_roles_and_the_rest_go_off() -> None:
    outputs, bus, _clock, _site = rig()
    for role in ROLES:
        outputs.on(role)
    bus.down = {"relay1"}
    failures = outputs.all_off()
    assert list(failures) == ["master_valve", "valve:a", "valve:b"]
    assert all(
        isinstance(e, DeviceError) and str(e) == "relay1: no answer" for e in failures.values()
    )
    assert ("off", "relay2.ch1") in bus.calls  # the pump's module was still switched
    assert {r: outputs.status[r].last_error for r in ROLES} == {
        "valve:a": "relay1: no answer",
        "valve:b": "relay1: no answer",
        "master_valve": "relay1: no answer",
        "pump": "",
    }
    # whatever the bus said, nothing is renewed again
    assert all(outputs.status[r].wanted_on is False for r in ROLES)
    assert outputs.on_roles() == []


def test_all_off_clears_the_error_of_an_output_that_now_goes_off() -> None:
    outputs, bus, _clock, _site = rig()
    bus.failing = {"relay1.ch1"}
    assert list(outputs.all_off()) == ["valve:a"]
    assert outputs.status["valve:a"].last_error == "relay1: stuck"
    bus.failing = set()
    assert outputs.all_off() == {}
    assert outputs.status["valve:a"].last_error == ""


def test_all_off_reports_failures_in_switching_order_across_modules() -> None:
    # The pump shares its module with a zone valve: that module goes first, yet the
    # failures come back in switching order: pump, master valve, then the zones.
    roles = {
        "pump": OutputRef("relay2", "ch1"),
        "valve:b": OutputRef("relay2", "ch2"),
        "master_valve": OutputRef("relay1", "ch3"),
        "valve:a": OutputRef("relay1", "ch1"),
    }
    outputs, bus, _clock, _site = rig(roles)
    bus.failing = {"relay2.ch1", "relay2.ch2", "relay1.ch3", "relay1.ch1"}
    failures = outputs.all_off()
    assert [c for _, c in bus.calls] == ["relay2.ch1", "relay2.ch2", "relay1.ch3", "relay1.ch1"]
    # the head's roles in OFF_ORDER, then the zones as the site lists them
    assert list(failures) == ["pump", "master_valve", "valve:b", "valve:a"]


def test_a_relay_that_read_on_after_its_off_keeps_its_start_when_switched_on_again() -> None:
    outputs, bus, clock, _ = rig()
    outputs.on("pump")
    started = clock.monotonic()
    bus.welded.add("relay2.ch1")
    assert list(outputs.all_off()) == ["pump"]
    assert outputs.reads_on_roles() == ["pump"] and outputs.on_roles() == []
    clock.advance(11.0)
    bus.welded.clear()
    outputs.on("pump")  # before any retry wrote it off: it never went off
    assert outputs.status["pump"].on_since == started
    assert outputs.reads_on_roles() == []  # commanded on again: not a stuck off any more


def test_a_relay_that_went_off_or_did_not_answer_starts_again_when_switched_on() -> None:
    outputs, bus, clock, _ = rig()
    outputs.on("pump")
    outputs.on("valve:a")
    bus.failing = {"relay1.ch1"}  # no answer: nothing read back on
    assert list(outputs.all_off()) == ["valve:a"]
    assert outputs.reads_on_roles() == []
    clock.advance(11.0)
    bus.failing = set()
    outputs.on("pump")
    outputs.on("valve:a")
    assert outputs.status["pump"].on_since == clock.monotonic()
    assert outputs.status["valve:a"].on_since == clock.monotonic()


def test_an_off_read_back_on_is_a_stuck_relay_and_an_unanswered_one_is_not() -> None:
    outputs, bus, _clock, _ = rig()
    outputs.on("pump")
    outputs.on("valve:a")
    bus.welded.add("relay2.ch1")
    with pytest.raises(VerifyMismatch):
        outputs.off("pump")
    bus.failing = {"relay1.ch1"}  # no answer: nothing read back
    with pytest.raises(DeviceError):
        outputs.off("valve:a")
    assert outputs.reads_on_roles() == ["pump"]


def test_retry_off_writes_off_each_stuck_relay_until_it_reads_off(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outputs, bus, _clock, _ = rig()
    for role in ROLES:
        outputs.on(role)
    bus.welded = {"relay1.ch2", "relay2.ch1"}  # valve:b and the pump; valve:a is listed first
    assert list(outputs.all_off()) == ["pump", "valve:b"]
    bus.welded = {"relay1.ch2"}  # the pump comes free
    bus.calls.clear()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="controller.runtime.outputs"):
        failures = outputs.retry_off()
    assert bus.calls == [("off", "relay1.ch2"), ("off", "relay2.ch1")]  # only the stuck ones
    assert list(failures) == ["valve:b"] and isinstance(failures["valve:b"], VerifyMismatch)
    assert outputs.reads_on_roles() == ["valve:b"]
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.WARNING, "pump (relay2.ch1) reads off again after a failed switch-off")
    ]
    bus.welded = set()
    assert outputs.retry_off() == {}
    assert outputs.reads_on_roles() == []
    bus.calls.clear()
    assert outputs.retry_off() == {} and bus.calls == []  # nothing left to retry
