"""``qanat outputs-off --config SITE.toml``: switch every output off and verify; the last word.

systemd runs it as ``ExecStopPost=``, after the daemon has exited for any
reason — a clean stop, a crash, a watchdog kill — so the site is left with
every valve, the pump and the dosing-pump power off and *read back* off,
even when the daemon itself could not do it. Exit status 0 only if every
output was verified off; 1 if any was not (each named on stderr); 2 if the
site file is unusable. It talks to the devices directly (no store, no API).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from controller.clock import SystemClock
from controller.config.site import load_site_or_report
from controller.runtime.fieldio import FieldIO
from controller.runtime.outputs import OFF_ORDER, Outputs
from drivers.errors import DriverError

HELP = "switch every output off and verify by read-back; non-zero if any is not off"

ATTEMPTS = 3  # a frame lost to noise should not leave a valve open


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, required=True, metavar="SITE.toml")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args: argparse.Namespace) -> int:
    site = load_site_or_report(args.config)
    if site is None:
        return 2
    clock = SystemClock()
    with FieldIO(site) as fieldio:
        outputs = Outputs(site, fieldio, clock)
        failures = outputs.all_off()
        for attempt in range(1, ATTEMPTS):
            if not failures:
                break
            clock.sleep(0.5 * attempt)
            failures = _retry(outputs, list(failures))
    roles = outputs.roles()
    if args.json:
        print(
            json.dumps(
                {
                    "ok": not failures,
                    "off": [r for r in roles if r not in failures],
                    "not_off": {r: str(e) for r, e in failures.items()},
                }
            )
        )
    for role, exc in failures.items():
        print(f"{role}: NOT verified off: {exc}", file=sys.stderr)
    if not failures and not args.json:
        print(f"{site.site.id}: {len(roles)} outputs off and verified")
    return 1 if failures else 0


def _retry(outputs: Outputs, roles: list[str]) -> dict[str, DriverError]:
    """Switch ``roles`` off again (pump first); the ones still not verified off."""
    roles.sort(key=lambda r: OFF_ORDER.index(r) if r in OFF_ORDER else len(OFF_ORDER))
    failures: dict[str, DriverError] = {}
    for role in roles:
        try:
            outputs.off(role)
        except DriverError as exc:
            failures[role] = exc
    return failures
