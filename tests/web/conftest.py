"""The API under test: the real app around a fake service and a real store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from controller.store import Store
from tests.helpers.api import TOKEN_NAMES
from tests.helpers.asgi import AsgiClient, asgi_client
from tests.helpers.fakes import FakeControlService
from web.app import create_app


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open_dir(tmp_path / "data")
    yield s
    s.close()


@pytest.fixture
def service(store: Store) -> FakeControlService:
    return FakeControlService(probe_store=store)


@pytest.fixture
def app(service: FakeControlService, store: Store) -> FastAPI:
    return create_app(service, store)


@pytest.fixture
def client(app: FastAPI) -> Iterator[AsgiClient]:
    with asgi_client(app) as c:
        yield c


@pytest.fixture
def tokens(store: Store) -> dict[str, str]:
    """A plaintext token per role, named after :data:`TOKEN_NAMES`."""
    return {role: store.create_token(name, role)[1] for role, name in TOKEN_NAMES.items()}
