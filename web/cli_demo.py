"""``qanat demo``: a living demonstration site, the daemon and its pages, in one command.

The bundled ``controller/config/examples/demo-site.toml`` (or ``--config``) in the middle of
its season (:mod:`controller.simulation.demo`): the weeks from the scenario's first day up to
"today" (``--day``, ``--day-of-season``; default early July) are simulated first through the
daemon's own jobs, then the simulated field on loopback Modbus and the full daemon run on a
virtual clock ``--speed`` times faster than the wall clock (default 60: a minute a second).
Prints the pages' address, a demo login (created here, with a random password: only the demo
does this) and a technician token, and serves until Ctrl-C (or ``--for`` seconds): then every
output off and the simulator stopped.

The demo's data directory (``--data-dir``; default a new temporary one, removed at the end)
must be empty or a previous demo's: the demo writes a season of its own there.

The demo's daemon runs without its notifier and MQTT bridge: a site file's ``[notify]`` and
``[mqtt]`` are said to be unused (:func:`unused_sections`); ``qanat sim`` with ``qanat run``
uses them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import secrets
import shutil
import sys
import tempfile
import threading
from pathlib import Path

from controller.access.accounts import Accounts
from controller.cli.exitcodes import FAILED, UNUSABLE
from controller.config.site import SiteConfig, load_site_or_report
from controller.daemon.daemon import StartupError
from controller.paths import bundled
from controller.runtime import sdnotify as notify
from controller.simulation.demo import (
    DEFAULT_SPEED,
    DemoError,
    LivingDemo,
    demo_day,
    demo_scenario,
    prepare_data_dir,
)
from controller.simulation.harness import DEFAULT_CONTROL_PORT
from controller.simulation.season import Scenario, ScenarioError, quiet_logs
from web.cli_run import add_port_file_argument, listen_problem
from web.listencheck import port_problem
from web.serve import DEFAULT_LISTEN, say_stopped, serve_daemon

DEMO_SITE = bundled("controller.config", "examples/demo-site.toml")
DEMO_USER = "demo"
DEMO_ROLE = "technician"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=DEMO_SITE,
        metavar="SITE.toml",
        help="the demo's site (default: the Zhangye seed-corn demo site)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="the demo's data directory, empty or a previous demo's "
        "(default: a new temporary one, removed at the end)",
    )
    parser.add_argument(
        "--listen",
        default=DEFAULT_LISTEN,
        metavar="HOST:PORT",
        help=f"pages and API address (default {DEFAULT_LISTEN}; port 0: any free port)",
    )
    add_port_file_argument(parser)
    parser.add_argument(
        "--sim-control-port",
        type=int,
        default=DEFAULT_CONTROL_PORT,
        metavar="PORT",
        help=f"the simulator's fault-injection port (default {DEFAULT_CONTROL_PORT}; 0: any "
        "free port, printed with the faults example)",
    )
    when = parser.add_mutually_exclusive_group()
    when.add_argument(
        "--day",
        type=dt.date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="the demo's today, inside the scenario's season (default early July)",
    )
    when.add_argument(
        "--day-of-season",
        type=int,
        metavar="N",
        help="the demo's today as days after the scenario's first day",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=DEFAULT_SPEED,
        metavar="X",
        help=f"how much faster than the wall clock the demo's time runs "
        f"(default {DEFAULT_SPEED:g}; 1 = real time)",
    )
    parser.add_argument(
        "--for", dest="for_s", type=float, metavar="S", help="stop by itself after S seconds"
    )


def unused_sections(site: SiteConfig) -> list[str]:
    """The sections of ``site`` the demo does not run (``[notify]``, ``[mqtt]``): its daemon
    steps on a virtual clock, without the notifier's and the bridge's threads."""
    model = site.model
    return [name for name, s in (("[notify]", model.notify), ("[mqtt]", model.mqtt)) if s]


def run(args: argparse.Namespace) -> int:
    site = load_site_or_report(args.config)
    if site is None:
        return UNUSABLE
    unused = unused_sections(site)
    if unused:  # a technician trying the alarm path would otherwise wait for nothing
        print(
            f"qanat demo: {' and '.join(unused)} of {args.config.name} not used: the demo sends "
            f"no notification and publishes nothing; `qanat sim --config {args.config}` with "
            "`qanat run` does",
            file=sys.stderr,
        )
    problem = listen_problem(args.listen, args.port_file)
    if problem is None and args.sim_control_port:  # 0: any free port, nothing to check
        problem = port_problem("--sim-control-port", "127.0.0.1", args.sim_control_port)
    if problem:
        print(f"qanat demo: {problem}", file=sys.stderr)
        return UNUSABLE
    try:
        scenario = demo_scenario(args.config)
        day = demo_day(scenario, args.day, args.day_of_season)
        if not args.speed > 0:
            raise DemoError(f"--speed {args.speed:g}: a positive factor (1 = real time)")
    except (ValueError, ScenarioError) as exc:
        print(f"qanat demo: {exc}", file=sys.stderr)
        return UNUSABLE
    temporary = args.data_dir is None
    data_dir = Path(tempfile.mkdtemp(prefix="qanat-demo-")) if temporary else args.data_dir
    try:
        prepare_data_dir(data_dir)
    except DemoError as exc:
        print(f"qanat demo: {exc}", file=sys.stderr)
        return UNUSABLE
    try:
        return _run(args, scenario, day, data_dir)
    finally:
        if temporary:
            shutil.rmtree(data_dir, ignore_errors=True)


def _run(args: argparse.Namespace, scenario: Scenario, day: dt.date, data_dir: Path) -> int:
    print(
        f"qanat demo: simulating the season from {scenario.start} to {day} "
        "(the daemon's own jobs, about half a minute)…",
        flush=True,
    )
    demo = LivingDemo(scenario, data_dir, day, speed=args.speed, control_port=args.sim_control_port)
    try:
        with quiet_logs():
            demo.__enter__()
    except StartupError as exc:
        print(f"not starting: {exc}", file=sys.stderr)
        return FAILED
    except OSError as exc:  # a port in use
        print(f"the simulated field did not start: {exc}", file=sys.stderr)
        return FAILED
    stop = threading.Event()
    try:
        season = demo.season
        assert season is not None and season.daemon is not None and season.store is not None
        store, daemon = season.store, season.daemon
        password = secrets.token_urlsafe(12)
        Accounts(store).create_user(DEMO_USER, password, DEMO_ROLE, display_name="演示")
        store.record_audit("demo", "user.add", {"username": DEMO_USER, "role": DEMO_ROLE})
        _, token = store.create_token("demo-technician", "technician")
        store.record_audit("demo", "token.create", {"name": "demo-technician"})
        local = demo.now().astimezone(season.tz)
        speed = f"{args.speed:g}× real time" if args.speed != 1 else "real time"
        public_board = season.site.model.board.public
        assert season.sim is not None
        control_port = season.sim.control.port  # the system's choice for 0

        def banner(host_port: str) -> str:
            """The demo's how-to, with the address really listened on."""
            return (
                f"pages: http://{host_port}/"
                + (f"  visitor board: http://{host_port}/board\n" if public_board else "\n")
                + f"demo login: {DEMO_USER}  password: {password}  (this demo only)\n"
                f"the site's clock: {local:%Y-%m-%d %H:%M} ({speed}); the season up to here "
                f"took {demo.history_s:.0f} s to simulate\n"
                f"technician token: {token}\n"
                f"try: curl -H 'Authorization: Bearer {token}' http://{host_port}/api/v1/zones\n"
                f"faults: qanat sim --config {args.config} "
                f"--control-port {control_port} --fault DEVICE KIND\n"
                f"data in {data_dir}; Ctrl-C stops the daemon (all outputs off) "
                "and the simulator"
            )

        clock = threading.Thread(
            target=demo.run_clock, args=(stop,), name="demo-clock", daemon=True
        )
        clock.start()
        rc = serve_daemon(
            daemon,
            store,
            season.site,
            data_dir,
            args.listen,
            banner=banner,
            stop_after_s=args.for_s,
            port_file=args.port_file,
        )
    finally:
        stop.set()
        notify.stopping()
        demo.__exit__(None, None, None)
        not_off = demo.season.not_off_at_stop if demo.season is not None else None
        if not_off is not None:
            say_stopped(not_off)
    return FAILED if not_off else rc
