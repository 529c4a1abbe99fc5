"""Whether ``--listen HOST:PORT`` (and the demo's ``--sim-control-port``) can be bound,
checked before the daemon (or the demo's season, half a minute of simulation) starts rather
than after.

The check binds a socket as the server will (``SO_REUSEADDR``, as uvicorn sets it, so a port
left in ``TIME_WAIT`` by a previous run is not refused here either) and closes it at once.
A program that takes the port in between still makes the server fail at its own bind; the
check is for the common case, a port already held by another qanat or program.
"""

from __future__ import annotations

import errno
import socket

from web.serve import parse_listen

__all__ = ["bind_problem", "port_problem"]


def bind_problem(listen: str) -> str | None:
    """Why ``--listen`` ``listen`` (``HOST:PORT``, already parsed by
    :func:`~web.serve.parse_listen`) cannot be listened on, naming the address and what to
    do; None when a socket binds."""
    host, port = parse_listen(listen)
    any_port = f"--listen {host if ':' not in host else f'[{host}]'}:0"
    return _problem(
        f"--listen {listen}",
        host,
        port,
        f"{any_port} for any free one (the banner and --port-file say which)",
    )


def port_problem(option: str, host: str, port: int) -> str | None:
    """The same for an option giving only a port on ``host`` (``--sim-control-port``)."""
    if not 0 <= port < 65536:
        return f"{option} {port}: a TCP port, 0 to 65535 (0: any free port)"
    return _problem(
        f"{option} {port}", host, port, f"{option} 0 for any free one (the banner says which)"
    )


def _problem(given: str, host: str, port: int, any_port: str) -> str | None:
    """Why ``host``:``port`` (the option as ``given``) does not bind; ``any_port``: how to
    ask for a free port instead."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        return f"{given}: {host!r} is not an address of this machine ({exc.strerror})"
    family, kind, proto, _, address = infos[0]
    try:
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return (
                f"{given}: the address is already in use (another qanat, or another "
                f"program, listens there); stop it, choose another port, or use {any_port}"
            )
        if exc.errno == errno.EACCES:
            return (
                f"{given}: port {port} needs privileges this user does not have; "
                f"use a port from 1024, or {any_port}"
            )
        if exc.errno == errno.EADDRNOTAVAIL:
            return f"{given}: {host} is not an address of this machine"
        return f"{given}: cannot listen there: {exc.strerror or exc}"
    return None
