"""``qanat outputs-off --config SITE.toml``: switch every output off and verify; the last word.

systemd runs it as ``ExecStopPost=``, after the daemon has exited for any
reason — a clean stop, a crash, a watchdog kill — so the site is left with
every valve, the pump and the dosing-pump power off and *read back* off,
even when the daemon itself could not do it. Exit status 0 only if every
output was verified off; 1 if any was not (each named on stderr); 2 if the
site file is unusable. Then every dosing pump's ``run`` is written 0 and read back
(:func:`controller.runtime.dosers.run_off_at_start`): a pump killed mid-injection keeps its
command, and would dose at once when powered again. A pump that does not confirm it is said
on stderr (``dosing_run_not_confirmed`` in the JSON) without changing the exit status: its
supply relay is an output, verified off above, and a pump fed its Modbus power through that
relay cannot answer once it is off (its silence is said only when that relay was not
verified off: it may be powered). It talks to the devices directly (no store, no API), so a daemon
still running is not told: its read-back then finds the outputs it had commanded on read off
and trips ``output_mismatch`` (its runs aborted, new ones refused until acknowledged), which
the command's last line says.

Its summary names every output not verified off, with why; the switch-off's own log lines
saying the same at each attempt (``could not switch … off``, ``outputs not yet off``) are
left out unless ``-v``, so the summary is what the technician reads. The bus's line per
device that does not answer (once per outage) and any other warning or error stay.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from controller.cli.exitcodes import FAILED, OK, UNUSABLE
from controller.clock import SystemClock
from controller.config.site import SiteConfig, load_site_or_report
from controller.runtime.dosers import run_off_at_start
from controller.runtime.fieldio import FieldIO
from controller.runtime.outputs import (
    NOT_YET_OFF,
    SWITCH_OFF_FAILED,
    Outputs,
    all_off_verified,
)

ATTEMPTS = 3  # a frame lost to noise should not leave a valve open
# what a daemon still running makes of it (its read-back: controller.runtime.readback)
RUNNING_DAEMON = (
    "if the daemon is running, its read-back finds the outputs it had on read off: it stops "
    "its runs (output_mismatch) and starts none until the alarm is acknowledged; with the "
    "daemon running, 'Stop all' on the page stops the water without an alarm"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        required=True,
        metavar="SITE.toml",
        help="the site whose outputs to switch off",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


class _SaidInTheSummary(logging.Filter):
    """Leaves out the switch-off's lines that the command's summary says again."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg not in (SWITCH_OFF_FAILED, NOT_YET_OFF)


def run(args: argparse.Namespace) -> int:
    site = load_site_or_report(args.config)
    if site is None:
        return UNUSABLE
    said = _SaidInTheSummary()
    outputs_log = logging.getLogger(Outputs.__module__)
    if not getattr(args, "verbose", 0):
        outputs_log.addFilter(said)
    try:
        return _switch_off(site, args)
    finally:
        outputs_log.removeFilter(said)


def _switch_off(site: SiteConfig, args: argparse.Namespace) -> int:
    with FieldIO(site) as fieldio:
        outputs = Outputs(site, fieldio, SystemClock())
        failures = all_off_verified(outputs, attempts=ATTEMPTS)
        pumps = run_off_at_start(site, fieldio, not_off=failures)  # a fed pump may be on
    roles = outputs.roles()
    if args.json:
        print(
            json.dumps(
                {
                    "ok": not failures,
                    "off": [r for r in roles if r not in failures],
                    "not_off": {r: str(e) for r, e in failures.items()},
                    "dosing_run_not_confirmed": {d: str(e) for d, e in pumps.items()},
                }
            )
        )
    for role, exc in failures.items():
        print(f"{role}: NOT verified off: {exc}", file=sys.stderr)
    for device, exc in pumps.items():
        print(f"dosing pump {device}: run 0 not confirmed: {exc}", file=sys.stderr)
    if not failures and not args.json:
        print(f"{site.site.id}: {len(roles)} outputs off and verified")
        print(RUNNING_DAEMON)
    return FAILED if failures else OK
