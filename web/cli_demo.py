"""``qanat demo``: the simulated demo field, the daemon and its API, in one command.

Starts ``qanat sim`` for the bundled ``controller/config/examples/demo-site.toml`` as a child
process, waits for its ports, creates a technician token, prints the URL and
the token, and runs the daemon until Ctrl-C (then stops the simulator).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from controller.cli.exitcodes import FAILED, UNUSABLE
from controller.config.site import load_site_or_report
from controller.paths import bundled, resolve_data_dir
from controller.simulation.harness import DEFAULT_CONTROL_PORT
from controller.store import Store
from web.serve import DEFAULT_LISTEN, run_daemon

DEMO_SITE = bundled("controller.config", "examples/demo-site.toml")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, default=DEMO_SITE, metavar="SITE.toml")
    parser.add_argument(
        "--data-dir", help="data directory (default: QANAT_DATA_DIR or per platform)"
    )
    parser.add_argument("--listen", default=DEFAULT_LISTEN, metavar="HOST:PORT")
    parser.add_argument(
        "--sim-control-port",
        type=int,
        default=DEFAULT_CONTROL_PORT,
        metavar="PORT",
        help=f"the simulator's fault-injection port (default {DEFAULT_CONTROL_PORT})",
    )
    parser.add_argument(
        "--for", dest="for_s", type=float, metavar="S", help="stop by itself after S seconds"
    )


def run(args: argparse.Namespace) -> int:
    site = load_site_or_report(args.config)
    if site is None:
        return UNUSABLE
    data_dir = resolve_data_dir(args.data_dir)
    sim_cmd = [
        sys.executable,
        "-m",
        "controller.cli",
        "sim",
        "--config",
        str(args.config),
        "--control-port",
        str(args.sim_control_port),
    ]
    sim = subprocess.Popen(sim_cmd)
    try:
        ready = subprocess.run([*sim_cmd, "--wait-ready", "20"], check=False)
        if ready.returncode != 0 or sim.poll() is not None:
            print("the simulated field did not start", file=sys.stderr)
            return FAILED
        with Store.open_dir(data_dir) as store:
            _, token = store.create_token("demo-technician", "technician")
            store.record_audit("demo", "token.create", {"name": "demo-technician"})
        host_port = args.listen
        banner = (
            f"pages: http://{host_port}/  (first login: in another terminal run\n"
            f"  qanat user add --role technician --username li --data-dir {data_dir}\n"
            "  then log in as li; the password is the one you typed)\n"
            f"technician token: {token}\n"
            f"try: curl -H 'Authorization: Bearer {token}' http://{host_port}/api/v1/zones\n"
            f"faults: qanat sim --config {args.config} --control-port {args.sim_control_port} "
            "--fault DEVICE KIND\n"
            f"data in {data_dir}; Ctrl-C stops the daemon (all outputs off) and the simulator"
        )
        return run_daemon(
            site,
            data_dir,
            args.listen,
            banner=banner,
            stop_after_s=args.for_s,
            clock_trusted_because="demo: a simulated field",
        )
    finally:
        sim.terminate()
        try:
            sim.wait(10)
        except subprocess.TimeoutExpired:
            sim.kill()
