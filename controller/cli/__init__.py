"""The ``qanat`` command line: one entry point, one module per subcommand.

Each subcommand lives in its own module exposing ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args) -> int`` (the exit status). Modules
are imported only when their subcommand runs, so ``qanat poll`` does not pay
for numba and ``qanat et0`` does not import pymodbus.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

__all__ = ["main"]

# subcommand name -> module implementing it
COMMANDS: dict[str, str] = {
    "check-config": "controller.cli.check_config",
    "sim": "controller.cli.sim",
    "poll": "controller.cli.poll",
    "et0": "controller.cli.et0",
    "token": "controller.cli.token",
    "pull": "controller.cli.pull",
    "report": "controller.cli.report",
    "warmup": "controller.cli.warmup",
    "outputs-off": "controller.cli.outputs_off",
    "backup": "controller.cli.backup",
    "restore": "controller.cli.backup",
    "user": "controller.cli.user",
    "simulate": "controller.cli.simulate",
    "hil": "controller.cli.hil",
    # Commands that serve HTTP live with the web layer (web imports controller, never
    # the reverse); they are named here only as module paths.
    "run": "web.cli_run",
    "demo": "web.cli_demo",
}

_HELP: dict[str, str] = {
    "check-config": "validate a site configuration; exit non-zero listing every problem",
    "sim": "serve simulated Modbus devices for a site",
    "poll": "read every device of a site once or continuously (commissioning)",
    "et0": "reference evapotranspiration from a weather CSV",
    "token": "create, list or revoke API tokens",
    "pull": "central office: pull every site's logs into one database",
    "report": "water-balance report (m³, m³/mu, savings) from the office database or a box",
    "warmup": "compile the models' numba kernels into NUMBA_CACHE_DIR (run at install)",
    "outputs-off": "switch every output off and verify; non-zero if any is not off",
    "backup": "back up the database (online, consistent) and the config to a tar.gz",
    "restore": "restore a backup into an empty (or --force) data directory",
    "user": "add, list or disable users of the local pages; change a password",
    "simulate": "a season of a scenario under a strategy through the daemon; water saved",
    "hil": "hardware-in-the-loop checks against a rig, or the simulator and the HIL suite",
    "run": "the daemon and its HTTP API",
    "demo": "simulated demo field + daemon + API in one command",
}


def _build_parser(argv: Sequence[str]) -> tuple[argparse.ArgumentParser, object | None]:
    parser = argparse.ArgumentParser(
        prog="qanat", description="Edge controller for irrigation and fertigation."
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = next((a for a in argv if not a.startswith("-")), None)
    module = None
    for name, module_path in COMMANDS.items():
        sp = sub.add_parser(name, help=_HELP.get(name, ""), description=_HELP.get(name, ""))
        if name == chosen:
            module = importlib.import_module(module_path)
            module.add_arguments(sp)
    return parser, module


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``qanat`` command; return the process exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser, module = _build_parser(args_list)
    args = parser.parse_args(args_list)
    if module is None:
        parser.print_help()
        return 2
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        status: int = module.run(args)  # type: ignore[attr-defined]
    except KeyboardInterrupt:
        return 130
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
