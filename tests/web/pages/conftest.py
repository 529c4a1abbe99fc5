"""The page tests' app: the real app over a real store on a virtual clock and the page
service, a user per role, logged-in clients. These override tests/web/conftest.py's API
fixtures of the same names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from controller.access.accounts import Accounts
from controller.clock import VirtualClock
from controller.store import Store
from tests.helpers.fakes import NOW
from tests.helpers.pages import FAST, PASSWORD, USERS, PageService, login, page_client
from web.app import create_app
from web.pages import PagesConfig


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(NOW)


@pytest.fixture
def store(tmp_path: Path, clock: VirtualClock) -> Iterator[Store]:
    s = Store.open_dir(tmp_path / "data", clock=clock)
    yield s
    s.close()


@pytest.fixture
def service(store: Store) -> PageService:
    return PageService(probe_store=store)


@pytest.fixture
def app(service: PageService, store: Store, tmp_path: Path) -> FastAPI:
    accounts = Accounts(store, hasher=FAST)
    for role, name in USERS.items():
        accounts.create_user(name, PASSWORD, role)
    config = PagesConfig(data_dir=tmp_path / "data", password_hasher=FAST, board_public=True)
    return create_app(service, store, pages=config)


@pytest.fixture
def anon(app: FastAPI) -> Iterator[TestClient]:
    with page_client(app) as c:
        yield c


@pytest.fixture
def as_role(app: FastAPI) -> Iterator[Any]:
    clients: list[TestClient] = []

    def make(role: str) -> TestClient:
        client = page_client(app).__enter__()
        clients.append(client)
        assert login(client, USERS[role]).status_code == 303
        return client

    yield make
    for c in clients:
        c.__exit__(None, None, None)
