"""Run the daemon with its HTTP API: the body of ``qanat run`` and ``qanat demo``.

The daemon starts first (outputs off and verified, previous runs recovered);
then uvicorn serves the API until SIGTERM/SIGINT; then the daemon stops and
switches everything off. A daemon that cannot make the site safe does not
serve at all (exit status 1, so systemd restarts and the alarm is stored).
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp

from controller.cli.exitcodes import FAILED, OK, UNUSABLE
from controller.clock import SystemClock
from controller.config import overrides
from controller.config.site import ConfigError, SiteConfig, report_problems
from controller.daemon.daemon import Daemon, StartupError
from controller.daemon.service import DaemonService
from controller.runtime import sdnotify as notify
from controller.runtime.timetrust import AlwaysTrusted
from controller.store import Store
from web.app import create_app
from web.limits import DEFAULT_MAX_BODY_BYTES
from web.pages import PagesConfig
from web.portfile import remove_port_file, write_port_file

__all__ = [
    "DEFAULT_LISTEN",
    "Banner",
    "bound_port",
    "http_address",
    "parse_listen",
    "run_daemon",
    "serve_daemon",
    "server_config",
]

log = logging.getLogger(__name__)

DEFAULT_LISTEN = "127.0.0.1:8080"

# What is printed after the address once the server listens: text, or text made from
# the address really listened on (``HOST:PORT``, the port the system chose for port 0).
Banner = str | Callable[[str], str]


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8080`` for IPv6; port 0: the system picks a free one, see
    ``--port-file``); ValueError naming the problem."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError(
            f"--listen {text!r}: expected HOST:PORT, e.g. {DEFAULT_LISTEN} (port 0: any free port)"
        )
    return host.strip("[]") or "127.0.0.1", int(port)


def http_address(host: str, port: int) -> str:
    """``HOST:PORT`` as it goes in a URL (IPv6 hosts in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def run_daemon(
    site: SiteConfig,
    data_dir: Path,
    listen: str,
    *,
    banner: Banner = "",
    stop_after_s: float | None = None,
    tls: tuple[Path, Path] | None = None,
    allowed_hosts: list[str] | None = None,
    trusted_proxies: list[str] | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    clock_trusted_because: str | None = None,
    port_file: Path | None = None,
) -> int:
    """Start the daemon and serve the API until a signal (or ``stop_after_s``); outputs off.

    ``tls`` is ``(certificate, key)`` (PEM files): HTTPS, and page cookies become Secure.
    ``trusted_proxies``: addresses (or networks) of reverse proxies whose
    ``X-Forwarded-For`` / ``X-Forwarded-Proto`` are believed; none by default, so the
    client address (login back-off, audit) is the TCP peer's. ``max_body_bytes`` caps
    request bodies (413 above it). ``clock_trusted_because``: the wall clock is trusted
    without NTP or an admin's confirmation (the demo's simulated field), and why.
    ``port_file``: once listening, the bound port is written there (see :mod:`web.portfile`).
    Settings saved from the pages (``site.overrides.toml``) are laid over ``site`` first.
    """
    parse_listen(listen)  # a bad address is refused before the daemon starts
    site_file = site
    try:
        site = overrides.apply_saved(site_file, data_dir)
    except ConfigError as exc:
        report_problems("the saved settings no longer fit the site file", exc.problems)
        return UNUSABLE
    store = Store.open_dir_or_report(data_dir)
    if store is None:
        return UNUSABLE
    with store:
        clock = SystemClock()
        trust = AlwaysTrusted(clock, clock_trusted_because) if clock_trusted_because else None
        daemon = Daemon(site, store, clock, time_trust=trust)
        try:
            daemon.start()
        except StartupError as exc:
            print(f"not starting: {exc}", file=sys.stderr)
            daemon.stop()
            return FAILED
        rc = FAILED
        try:
            rc = serve_daemon(
                daemon,
                store,
                site_file,
                data_dir,
                listen,
                banner=banner,
                stop_after_s=stop_after_s,
                tls=tls,
                allowed_hosts=allowed_hosts,
                trusted_proxies=trusted_proxies,
                max_body_bytes=max_body_bytes,
                port_file=port_file,
            )
        finally:
            notify.stopping()
            not_off = daemon.stop()
            say_stopped(not_off)
        return FAILED if not_off else rc


def say_stopped(not_off: Mapping[str, Exception]) -> None:
    """The last line of ``qanat run`` and ``qanat demo``: every output verified off, or the
    ones that did not read back off (to switch off by hand: docs/operations.md)."""
    if not not_off:
        print("qanat: stopped; every output switched off and read back off", flush=True)
        return
    said = "; ".join(f"{role} ({exc})" for role, exc in sorted(not_off.items()))
    print(
        f"qanat: stopped, but NOT verified off: {said} — check them on site and switch them "
        "off by hand (`qanat outputs-off`)",
        file=sys.stderr,
        flush=True,
    )


def serve_daemon(
    daemon: Daemon,
    store: Store,
    site_file: SiteConfig,
    data_dir: Path,
    listen: str,
    *,
    banner: Banner = "",
    stop_after_s: float | None = None,
    tls: tuple[Path, Path] | None = None,
    allowed_hosts: list[str] | None = None,
    trusted_proxies: list[str] | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    port_file: Path | None = None,
) -> int:
    """Serve the pages and API of a started daemon until a signal (or ``stop_after_s``).

    The caller stops the daemon afterwards (outputs off); ``qanat run`` and the living demo
    (:mod:`web.cli_demo`) share this. With port 0 the system picks the port; the address
    printed (and written to ``port_file``) is the one really listened on."""
    host, port = parse_listen(listen)
    site = daemon.site
    pages = PagesConfig(
        data_dir=data_dir,
        tz=site.site.tz,
        secure_cookies=tls is not None,
        board_public=site.model.board.public,
    )
    app = create_app(
        DaemonService(daemon, data_dir=data_dir, site_file=site_file),
        store,
        title=f"qanat {site.site.id}",
        pages=pages,
        allowed_hosts=allowed_hosts,
        max_body_bytes=max_body_bytes,
    )
    config = server_config(app, host, port, tls=tls, trusted_proxies=trusted_proxies)
    server = uvicorn.Server(config)
    if port_file is not None:
        remove_port_file(port_file)
    listening = _Listening(
        server,
        host,
        name=site.site.id,
        scheme="https" if tls else "http",
        banner=banner,
        port_file=port_file,
    )
    threading.Thread(target=listening.announce_when_listening, daemon=True).start()

    # uvicorn re-raises the signal that stopped it once it has restored the previous
    # handlers; with the default handler that would kill the process before the
    # daemon switches the outputs off. Ours asks the server to stop instead, which also
    # covers a signal that arrives before uvicorn has installed its own handlers.
    def stop_on_signal(signum: int, frame: object) -> None:
        log.info("signal %d: stopping", signum)
        server.should_exit = True

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop_on_signal)
    if stop_after_s is not None:
        timer = threading.Timer(stop_after_s, lambda: setattr(server, "should_exit", True))
        timer.daemon = True
        timer.start()
    try:
        server.run()  # returns on SIGTERM / SIGINT
    finally:
        if port_file is not None:
            remove_port_file(port_file)  # the port is no longer ours
    if not server.started:
        print(f"cannot listen on {http_address(host, port)}", file=sys.stderr)
        return FAILED
    return FAILED if listening.failed else OK


def server_config(
    app: ASGIApp,
    host: str,
    port: int,
    *,
    tls: tuple[Path, Path] | None = None,
    trusted_proxies: list[str] | None = None,
) -> uvicorn.Config:
    """How uvicorn serves the app: quiet, HTTPS with ``tls``, forwarded headers only from
    ``trusted_proxies``."""
    cert, key = tls if tls else (None, None)
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        ssl_certfile=cert,
        ssl_keyfile=key,
        # uvicorn believes X-Forwarded-* from 127.0.0.1 unless told otherwise: any local
        # process could then claim any client address. Only the named proxies are believed.
        proxy_headers=bool(trusted_proxies),
        forwarded_allow_ips=list(trusted_proxies or []),
    )


class _Listening:
    """Once the server accepts connections: the port file, the address and the banner."""

    def __init__(
        self,
        server: uvicorn.Server,
        host: str,
        *,
        name: str,
        scheme: str,
        banner: Banner,
        port_file: Path | None,
    ) -> None:
        self.server = server
        self.host = host
        self.name = name
        self.scheme = scheme
        self.banner = banner
        self.port_file = port_file
        self.failed = False

    def announce_when_listening(self) -> None:
        for _ in range(600):
            if self.server.started:
                # daemon.start() returned (every output off and read back) and uvicorn's
                # signal handlers are in place, so a SIGTERM from now on stops with
                # outputs off.
                self._announce(bound_port(self.server))
                return
            if self.server.should_exit:
                return
            threading.Event().wait(0.05)

    def _announce(self, port: int) -> None:
        if self.port_file is not None:
            try:
                write_port_file(self.port_file, port)
            except OSError as exc:
                print(f"--port-file {str(self.port_file)!r}: {exc}; stopping", file=sys.stderr)
                self.failed = True
                self.server.should_exit = True
                return
        address = http_address(self.host, port)
        base = f"{self.scheme}://{address}"
        announce = f"qanat {self.name}: pages on {base}/, API on {base}/api/v1"
        notify.ready()
        notify.status(announce)
        print(announce, flush=True)
        banner = self.banner(address) if callable(self.banner) else self.banner
        if banner:
            print(banner, flush=True)


def bound_port(server: uvicorn.Server) -> int:
    """The TCP port a started server listens on (the system's choice when asked for 0)."""
    return int(server.servers[0].sockets[0].getsockname()[1])
