"""The ``qanat`` command line: one entry point, one module per subcommand.

Each subcommand lives in its own module exposing ``add_arguments(parser)`` and
``run(args) -> int`` (the exit status); :data:`COMMANDS` names the module and holds
the command's one line of help. Modules are imported only when their subcommand
runs, so ``qanat --help`` imports none of them, ``qanat poll`` does not pay for
numba and ``qanat et0`` does not import pymodbus. Every command exits with a status from
the one table in :mod:`controller.cli.exitcodes`.
"""

from __future__ import annotations

import argparse
import importlib
import io
import logging
import os
import sys
from collections.abc import Sequence

from controller.cli.exitcodes import BROKEN_PIPE, INTERRUPTED, UNUSABLE

__all__ = ["main"]

# subcommand name -> (module implementing it, one line of help). The help lives here, not
# in the modules, so that ``qanat --help`` lists every command without importing any of them.
COMMANDS: dict[str, tuple[str, str]] = {
    "check-config": (
        "controller.cli.check_config",
        "validate a site configuration; exit non-zero listing every problem",
    ),
    "sim": ("controller.cli.sim", "serve simulated Modbus devices for a site"),
    "poll": (
        "controller.cli.poll",
        "read every device of a site once or continuously (commissioning)",
    ),
    "et0": (
        "controller.cli.et0",
        "reference evapotranspiration (FAO-56 / ASCE-EWRI) from a daily or hourly weather CSV",
    ),
    "token": ("controller.cli.token", "create, list or revoke API tokens"),
    "pull": ("controller.cli.pull", "central office: pull every site's logs into one database"),
    "report": (
        "controller.cli.report",
        "water-balance report (m³, m³/mu, savings) from the office database or a box",
    ),
    "warmup": (
        "controller.cli.warmup",
        "compile the models' numba kernels into NUMBA_CACHE_DIR (run at install)",
    ),
    "outputs-off": (
        "controller.cli.outputs_off",
        "switch every output off and verify by read-back; non-zero if any is not off",
    ),
    "backup": (
        "controller.cli.backup",
        "back up the database (online, while the daemon runs) and the config to a tar.gz",
    ),
    "restore": (
        "controller.cli.backup",
        "restore a backup into an empty (or --force) data directory",
    ),
    "user": (
        "controller.cli.user",
        "add, list, disable or enable users of the local pages; change a role or a password",
    ),
    "simulate": (
        "controller.cli.simulate",
        "a season of a scenario under a strategy through the daemon; water saved",
    ),
    "confirm-time": (
        "controller.cli.confirm_time",
        "an admin confirms the box's wall clock is right (no NTP): automatic watering may start",
    ),
    "probe": (
        "controller.cli.probe",
        "soil samples next to the probes (add, list) and each probe's calibration",
    ),
    "soil": (
        "controller.cli.soil",
        "each zone's soil and kc_factor fitted from its dry-downs (show) and approving them",
    ),
    "notify": ("controller.cli.notify", "send a test message through a notification channel"),
    "hil": (
        "controller.cli.hil",
        "hardware-in-the-loop checks against a rig, or the simulator and the HIL suite",
    ),
    # Commands that serve HTTP live with the web layer (web imports controller, never
    # the reverse); they are named here only as module paths.
    "run": ("web.cli_run", "the daemon and its HTTP API"),
    "demo": ("web.cli_demo", "simulated demo field + daemon + API in one command"),
}


def _build_parser(argv: Sequence[str]) -> tuple[argparse.ArgumentParser, object | None]:
    parser = argparse.ArgumentParser(
        prog="qanat", description="Edge controller for irrigation and fertigation."
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = next((a for a in argv if not a.startswith("-")), None)
    module = None
    for name, (module_path, help_text) in COMMANDS.items():
        sp = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            module = importlib.import_module(module_path)
            module.add_arguments(sp)
    return parser, module


class _UnansweredRequestFilter(logging.Filter):
    """Leaves out pymodbus's own lines about an unanswered request ("No response received
    after 0 retries…", its count and not the bus's retries) and the "Repeating...." that
    stands for such a line said again, which the bus says itself naming the device and the
    timeout; pymodbus's other lines pass, a "Repeating...." after them too (-v shows all)."""

    def __init__(self) -> None:
        super().__init__()
        self._after_unanswered = False

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message == "Repeating....":
            return not self._after_unanswered
        self._after_unanswered = message.startswith("No response received")
        return not self._after_unanswered


_UNANSWERED_REQUEST_FILTER = _UnansweredRequestFilter()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``qanat`` command; return the process exit status.

    One rule for every command: output piped into a reader that stops early (``| head``)
    ends the command quietly with :data:`~controller.cli.exitcodes.BROKEN_PIPE`, as a shell
    reports a program killed by SIGPIPE, never a traceback (``outputs-off`` prints only
    after switching every output off, so its lost summary leaves no water running).
    """
    try:
        status = _main(argv)
        sys.stdout.flush()  # a pipe closed meanwhile is found here, not at the exit's flush
    except BrokenPipeError:
        _stdout_to_devnull()
        return BROKEN_PIPE
    return status


def _stdout_to_devnull() -> None:
    """Point the process's stdout at /dev/null, so that the interpreter's own flush at exit
    does not fail again on the closed pipe (Python's documented idiom for SIGPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, io.UnsupportedOperation):  # stdout replaced (in a test)
        pass


def _main(argv: Sequence[str] | None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser, module = _build_parser(args_list)
    args = parser.parse_args(args_list)
    if module is None:
        parser.print_help()
        return UNUSABLE
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not args.verbose:
        # pymodbus logs through its module's logger; a logger's filter sees only its own
        for name in ("pymodbus", "pymodbus.logging"):
            logging.getLogger(name).addFilter(_UNANSWERED_REQUEST_FILTER)
    try:
        status: int = module.run(args)  # type: ignore[attr-defined]
    except KeyboardInterrupt:
        return INTERRUPTED
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
