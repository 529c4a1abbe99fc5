"""The pages over a running daemon's own service (the site check's real answers): the
daemon on ``tmp_path/site.toml`` with a user per role, and logged-in page clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from starlette.testclient import TestClient

from controller.access.accounts import Accounts
from controller.clock import VirtualClock
from controller.config.site import load_site
from controller.daemon.daemon import Daemon
from controller.daemon.service import DaemonService
from controller.store import Store
from tests.helpers.pages import FAST, PASSWORD, USERS, csrf_of, login, page_client
from web.app import create_app
from web.pages import PagesConfig

__all__ = ["LiveSite", "page_clients"]


class LiveSite:
    """The daemon of ``tmp_path/site.toml`` (already written), its service and the pages;
    :meth:`close` when done."""

    def __init__(self, tmp_path: Path) -> None:
        self.data_dir = tmp_path / "data"
        clock = VirtualClock(datetime(2026, 6, 1, 4, 0, tzinfo=UTC))
        self.store = Store.open_dir(self.data_dir, clock=clock)
        self.daemon = Daemon(load_site(tmp_path / "site.toml"), self.store, clock)
        accounts = Accounts(self.store, hasher=FAST)
        for role, name in USERS.items():
            accounts.create_user(name, PASSWORD, role)
        service = DaemonService(self.daemon, data_dir=self.data_dir)
        config = PagesConfig(data_dir=self.data_dir, password_hasher=FAST)
        self.app = create_app(service, self.store, pages=config)

    def close(self) -> None:
        self.daemon.fieldio.close()
        self.store.close()


@contextmanager
def page_clients(site: LiveSite) -> Iterator[Callable[..., TestClient]]:
    """``make(role, lang="zh-CN")``: a client logged in as ``role`` reading ``lang``."""
    clients: list[TestClient] = []

    def make(role: str, lang: str = "zh-CN") -> TestClient:
        c = page_client(site.app).__enter__()
        clients.append(c)
        assert login(c, USERS[role]).status_code == 303
        if lang == "en":
            c.post("/lang", data={"lang": "en", "next": "/", "csrf": csrf_of(c)})
        return c

    try:
        yield make
    finally:
        for c in clients:
            c.__exit__(None, None, None)
