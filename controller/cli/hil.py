"""``qanat hil --target sim|tcp://HOST:PORT|rtu:///dev/ttyUSB0``: the rig checks, then (on the
simulator) the whole HIL suite.

Against a real rig only what is safe on real hardware runs (``--config`` names the rig's site
file; every bus of it is pointed at the target, so two devices sharing a unit id, even on
different buses, are refused before any bus is opened):

1. **reads** — every device once; each point's quality is printed; a device that does not
   answer fails the check;
2. **timeouts** — a unit id nobody uses (``--silent-unit``, default 247) must come back as
   ``comm_error`` readings ("no answer within …") within the bus timeout and retries;
3. **pulse** — one output (``--pulse``, default the first zone valve) switched on with a relay
   lease of at most 2 s, read back on, then *not* switched off by us: the module's own lease
   must open it within lease + 1 s (read back off by an answer of the module: a read it does
   not answer fails the check); everything is then switched off and verified whatever
   happened.

``--target sim`` serves the site's devices from the simulator on free loopback ports, runs the
same checks against them, then runs the full suite (``pytest hil_tests``).

Exit status: 0 when every check passed, 1 when one failed (or the suite did), 2 when the
options or the site file are unusable.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from controller.cli.exitcodes import FAILED, OK, UNUSABLE
from controller.config.site import OutputRef, SiteConfig, load_site_or_report
from controller.counted import counted
from controller.simulation.season import SCENARIO_DIR
from drivers.bus import Bus, DeviceRef
from drivers.errors import FieldIOError
from drivers.reading import Reading
from drivers.transport import BusSettings

__all__ = ["add_arguments", "run"]

MAX_PULSE_S = 2.0
DEFAULT_SITE = SCENARIO_DIR / "zhangye-seed-corn.site.toml"
SUITE_DIR = Path(__file__).resolve().parents[2] / "hil_tests"  # in a checkout, not a package


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target",
        required=True,
        help="sim, tcp://HOST:PORT (also RTU-over-TCP gateways: "
        "rtu-tcp://HOST:PORT) or rtu:///dev/ttyUSB0",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=DEFAULT_SITE,
        help="the rig's site file (default: the scenario's site)",
    )
    parser.add_argument("--pulse", help="output to pulse, e.g. relay1.ch1 (default: zone 1)")
    parser.add_argument(
        "--pulse-s",
        type=float,
        default=MAX_PULSE_S,
        help=f"lease of the pulse, s (at most {MAX_PULSE_S:g})",
    )
    parser.add_argument(
        "--silent-unit",
        type=int,
        default=247,
        help="a unit id no device on the rig uses (timeout check)",
    )
    parser.add_argument(
        "--baudrate", type=int, help="rtu targets (default: each bus's baudrate in the site file)"
    )
    parser.add_argument(
        "--no-suite",
        action="store_true",
        help="with --target sim: only the rig checks, not pytest hil_tests",
    )


def _retarget(settings: BusSettings, target: str, baudrate: int | None) -> BusSettings:
    url = urlparse(target)
    if url.scheme in ("tcp", "rtu-tcp"):
        try:
            port = url.port
        except ValueError as exc:  # "Port out of range 0-65535", a port that is no number
            raise ValueError(f"--target {target!r}: {exc}; give tcp://HOST:PORT") from exc
        if not url.hostname or not port:
            raise ValueError(f"--target {target!r}: give tcp://HOST:PORT")
        if url.scheme == "tcp":
            return dataclasses.replace(settings, kind="tcp", host=url.hostname, port=port)
        return dataclasses.replace(settings, kind="rtu_over_tcp", host=url.hostname, port=port)
    if url.scheme == "rtu":
        if not url.path:
            raise ValueError(f"--target {target!r}: give rtu:///dev/ttyUSB0")
        baud = settings.baudrate if baudrate is None else baudrate
        return dataclasses.replace(settings, kind="rtu", serial_port=url.path, baudrate=baud)
    raise ValueError(
        f"--target {target!r}: sim, tcp://HOST:PORT, rtu-tcp://HOST:PORT or rtu:///dev/PORT"
    )


class Checks:
    """The rig-safe checks over a site's buses; results printed as they come."""

    def __init__(self, site: SiteConfig, buses: dict[str, Bus]) -> None:
        self.site, self.buses = site, buses
        self.failed: list[str] = []

    def report(self, ok: bool, what: str) -> None:
        if not ok and what in self.failed:
            return  # the same failure again (an output still not off): said once, counted once
        print(f"{'ok  ' if ok else 'FAIL'} {what}", flush=True)
        if not ok:
            self.failed.append(what)

    def reads(self) -> None:
        for d in self.site.devices:
            readings, _ = self.buses[d.bus].read_points(d.name)
            good = [r for r in readings if r.ok]
            detail = ", ".join(f"{r.point}={_shown(r)}" for r in readings)
            self.report(bool(good), f"read {d.name} (unit {d.unit}, bus {d.bus}): {detail}")

    def timeout(self, unit: int) -> None:
        bus_cfg = self.site.buses[0]
        probe_dev = self.site.devices_on(bus_cfg.name)[0]
        ghost = DeviceRef("silent-unit", unit, probe_dev.profile)
        bus = Bus(self.buses[bus_cfg.name].settings, [ghost])
        try:
            t0 = time.monotonic()
            with _expected_silence():
                readings, _ = bus.read_points("silent-unit")
            took = time.monotonic() - t0
            s = bus.settings
            bound = (s.timeout_s + 0.5) * (1 + s.retries) + 1.0
            timed_out = all(
                r.quality.value == "comm_error" and "no answer" in r.detail for r in readings
            )
            self.report(
                timed_out and took <= bound,
                f"unit {unit} silent: comm_error ({readings[0].detail}) after "
                f"{took:.2f} s (bound {bound:.1f} s)",
            )
        finally:
            bus.close()

    def pulse(self, ref_text: str, lease_s: float) -> None:
        ref = OutputRef.parse(ref_text)
        bus = self.buses[self.site.device(ref.device).bus]
        try:
            bus.lease_output(ref.device, ref.point, lease_s)
            first = bus.read_point(ref.device, ref.point)
            self.report(
                bool(first.ok and first.value), f"pulse {ref_text}: on, read back {_shown(first)}"
            )
            # Open only when the module answers so: an unanswered read is no evidence.
            deadline = time.monotonic() + lease_s + 1.0
            last = first
            while not (last.ok and not last.value) and time.monotonic() < deadline:
                time.sleep(0.1)
                last = bus.read_point(ref.device, ref.point)
            opened = bool(last.ok and not last.value)
            within = f"within {lease_s + 1:g} s"
            self.report(
                opened,
                f"pulse {ref_text}: the module's lease opened it {within}"
                if opened
                else f"pulse {ref_text}: the module's lease not seen opening it {within} "
                f"(last read {_shown(last)})",
            )
        except FieldIOError as exc:
            self.report(False, f"pulse {ref_text}: {type(exc).__name__}: {exc}")
        finally:
            self.all_off()

    def all_off(self, when: str = "") -> None:
        """Every output off, each read back off (a FAIL line for each that is not); with
        ``when`` (``"before the checks"``) one line says they all were: the rig's steps 1
        and 5 show as done, not only when they fail."""
        outputs = list(self.site.outputs())
        verified = 0
        for path, ref in outputs:
            bus = self.buses[self.site.device(ref.device).bus]
            try:
                bus.output_off(ref.device, ref.point)
                verified += 1
            except FieldIOError as exc:
                self.report(False, f"{path} ({ref.device}.{ref.point}) not verified off: {exc}")
        if when and verified == len(outputs):
            n = len(outputs)
            what = f"all {n} outputs" if n > 1 else f"{n} output"
            self.report(True, f"{what} switched off and read back off ({when})")


@contextmanager
def _expected_silence() -> Iterator[None]:
    """The silent unit's check wants no answer: pymodbus's ERROR with its frame dump and the
    bus's "no answer" ERROR are the check passing, not a fault; the check's line says it."""
    loggers = [logging.getLogger(name) for name in ("pymodbus", "drivers.bus")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _shown(reading: Reading) -> str:
    """A reading as a rig builder compares it with the device's display: 6 significant
    digits and the unit (``17.4 °C``, not ``17.400000000000002``), or the quality."""
    if not reading.ok or reading.value is None:
        return reading.quality.value
    return f"{reading.value:.6g} {reading.unit}".rstrip()


def run(args: argparse.Namespace) -> int:
    site = load_site_or_report(args.config)
    if site is None:
        return UNUSABLE
    if not 0 < args.pulse_s <= MAX_PULSE_S:
        print(f"--pulse-s must be in (0, {MAX_PULSE_S:g}] s on a rig", file=sys.stderr)
        return UNUSABLE
    silent_problem = _silent_unit_problem(site, args.silent_unit, one_target=args.target != "sim")
    if silent_problem:
        print(f"--silent-unit {args.silent_unit}: {silent_problem}", file=sys.stderr)
        return UNUSABLE
    pulse = args.pulse or site.zones[0].valve
    outputs = sorted({str(ref) for _, ref in site.outputs()})
    if pulse not in outputs:
        print(
            f"--pulse {pulse}: not an output of {site.path.name} "
            f"(its outputs: {', '.join(outputs)})",
            file=sys.stderr,
        )
        return UNUSABLE
    if args.target == "sim":
        return _against_sim(site, args, pulse)
    try:
        settings = {b.name: _retarget(b.settings(), args.target, args.baudrate) for b in site.buses}
    except ValueError as exc:
        print(f"qanat hil: {exc}", file=sys.stderr)
        return UNUSABLE
    shared = _shared_units(site)
    if shared:
        print(
            f"--target {args.target}: every bus of {site.path.name} goes to this one target, "
            f"where {shared}: give the rig a site file whose devices have distinct unit ids",
            file=sys.stderr,
        )
        return UNUSABLE
    return _checks(site, settings, args, pulse)


def _silent_unit_problem(site: SiteConfig, unit: int, *, one_target: bool) -> str:
    """Why ``unit`` cannot be the silent unit the timeout check asks on the first bus
    ("" when it can): outside Modbus's 1–247, or a device's own — of any bus when every
    bus goes to ``one_target`` (a rig), else of the first bus (the simulator serves each
    bus on its own port)."""
    if not 1 <= unit <= 247:
        return "a Modbus unit id is 1 to 247"
    buses = [b.name for b in site.buses] if one_target else [site.buses[0].name]
    owner = next((d for d in site.devices if d.bus in buses and d.unit == unit), None)
    if owner is not None:
        return f"unit {unit} is {owner.name}'s on bus {owner.bus}: give one no device there uses"
    return ""


def _shared_units(site: SiteConfig) -> str:
    """The devices of different buses that share a unit id, said for a rig ("" when none):
    with every bus at one target, a read of one would be answered by the other."""
    by_unit: dict[int, list[str]] = {}
    for d in site.devices:
        by_unit.setdefault(d.unit, []).append(f"{d.name} (bus {d.bus})")
    return "; ".join(
        f"{' and '.join(names)} share unit {unit}"
        for unit, names in sorted(by_unit.items())
        if len(names) > 1
    )


def _checks(
    site: SiteConfig, settings: dict[str, BusSettings], args: argparse.Namespace, pulse: str
) -> int:
    buses = {name: Bus(s, site.devices_on(name)) for name, s in settings.items()}
    checks = Checks(site, buses)
    try:
        checks.all_off("before the checks")
        checks.reads()
        checks.timeout(args.silent_unit)
        checks.pulse(pulse, args.pulse_s)
    finally:
        checks.all_off("after the checks")
        for bus in buses.values():
            bus.close()
    print(rig_verdict(len(checks.failed)))
    return FAILED if checks.failed else OK


def rig_verdict(failed: int) -> str:
    """The last line of the rig checks: how many failed, counted, or that all passed."""
    return f"{counted(failed, 'check', 'checks')} failed" if failed else "all rig checks passed"


def _against_sim(site: SiteConfig, args: argparse.Namespace, pulse: str) -> int:
    from controller.simulation.harness import Simulation

    if not args.no_suite and not SUITE_DIR.is_dir():
        print(
            f"the HIL suite ships with the source tree, not the package ({SUITE_DIR} is not "
            "there): run `qanat hil --target sim` from a checkout, or add --no-suite for the "
            "rig checks alone",
            file=sys.stderr,
        )
        return UNUSABLE
    with Simulation(site, control_port=0, any_port=True, step_s=0.5) as sim:
        status = _checks(site, {b.name: sim.bus_settings(b.name) for b in site.buses}, args, pulse)
    if status or args.no_suite:
        return status
    print("running the HIL suite against the simulator: pytest hil_tests", flush=True)
    suite = subprocess.call(
        [sys.executable, "-m", "pytest", "-q", str(SUITE_DIR)], cwd=SUITE_DIR.parent
    )
    return OK if suite == 0 else FAILED  # pytest's own statuses are not qanat's
