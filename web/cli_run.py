"""``qanat run --config SITE.toml``: the daemon and its HTTP API."""

from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path

from controller.cli.exitcodes import UNUSABLE
from controller.config.site import load_site_or_report
from controller.paths import resolve_data_dir
from web.limits import DEFAULT_MAX_BODY_BYTES
from web.listencheck import bind_problem
from web.portfile import port_file_problem
from web.serve import DEFAULT_LISTEN, parse_listen, run_daemon


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", type=Path, required=True, metavar="SITE.toml", help="the site configuration"
    )
    parser.add_argument(
        "--data-dir", help="data directory (default: QANAT_DATA_DIR or per platform)"
    )
    parser.add_argument(
        "--listen",
        default=DEFAULT_LISTEN,
        metavar="HOST:PORT",
        help=f"API address (default {DEFAULT_LISTEN}; exposing it on the LAN is a choice; "
        "port 0: any free port, see --port-file)",
    )
    add_port_file_argument(parser)
    parser.add_argument("--tls-cert", type=Path, metavar="CERT.pem", help="serve HTTPS")
    parser.add_argument(
        "--tls-key", type=Path, metavar="KEY.pem", help="the private key of --tls-cert"
    )
    parser.add_argument(
        "--allowed-host",
        action="append",
        metavar="NAME",
        help="a name or address the box answers to (repeat; e.g. qanat.local, 192.168.1.20); "
        "when given, requests naming any other host are refused (DNS rebinding)",
    )
    parser.add_argument(
        "--trusted-proxy",
        action="append",
        metavar="ADDRESS",
        help="a reverse proxy (address or network, repeat) whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed; default none: the client is the TCP peer",
    )
    parser.add_argument(
        "--max-body-kib",
        type=int,
        default=DEFAULT_MAX_BODY_BYTES // 1024,
        metavar="KIB",
        help=f"largest request body accepted (default {DEFAULT_MAX_BODY_BYTES // 1024}); "
        "larger ones are refused with 413 while they stream",
    )


def run(args: argparse.Namespace) -> int:
    site = load_site_or_report(args.config)
    if site is None:
        return UNUSABLE
    if (args.tls_cert is None) != (args.tls_key is None):
        print("--tls-cert and --tls-key go together", file=sys.stderr)
        return UNUSABLE
    if args.max_body_kib < 1:
        print(f"--max-body-kib {args.max_body_kib}: at least 1", file=sys.stderr)
        return UNUSABLE
    problem = listen_problem(args.listen, args.port_file) or _proxy_problem(
        args.trusted_proxy or []
    )
    if problem:
        print(problem, file=sys.stderr)
        return UNUSABLE
    tls = (args.tls_cert, args.tls_key) if args.tls_cert else None
    return run_daemon(
        site,
        resolve_data_dir(args.data_dir),
        args.listen,
        tls=tls,
        allowed_hosts=args.allowed_host,
        trusted_proxies=args.trusted_proxy,
        max_body_bytes=args.max_body_kib * 1024,
        port_file=args.port_file,
    )


def add_port_file_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port-file",
        type=Path,
        metavar="PATH",
        help="once the API listens, write its TCP port there (replaced in one step, removed "
        "at exit): how a supervisor learns the port chosen for --listen HOST:0",
    )


def listen_problem(listen: str, port_file: Path | None) -> str | None:
    """What is wrong with ``--listen`` or ``--port-file``, checked before the daemon starts:
    a malformed address, one that cannot be bound (a port in use: at once, not after the
    daemon's start or the demo's season), a port file that cannot be written."""
    try:
        parse_listen(listen)
    except ValueError as exc:
        return str(exc)
    problem = bind_problem(listen)
    if problem is None and port_file is not None:
        problem = port_file_problem(port_file)
    return problem


def _proxy_problem(proxies: list[str]) -> str | None:
    """The first ``--trusted-proxy`` that is not an address or network (``*`` is refused:
    trusting everyone is the hole this option closes)."""
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            return f"--trusted-proxy {proxy!r}: an IP address or network, e.g. 127.0.0.1"
    return None
