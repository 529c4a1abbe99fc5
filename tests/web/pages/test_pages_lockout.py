"""Failed logins slow attackers down without locking the owner out (the pages over a real store)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from controller.access.accounts import Accounts
from controller.clock import VirtualClock
from controller.store import Store
from tests.helpers.pages import BASE, FAST, login


@pytest.fixture
def from_address(app: FastAPI) -> Iterator[Any]:
    """A browser at a given remote address."""
    clients: list[TestClient] = []

    def make(address: str) -> TestClient:
        client = TestClient(app, base_url=BASE, follow_redirects=False, client=(address, 50000))
        client.headers["origin"] = BASE
        clients.append(client.__enter__())
        return client

    yield make
    for c in clients:
        c.__exit__(None, None, None)


def test_five_bad_logins_do_not_keep_the_only_admin_out(
    from_address: Any, clock: VirtualClock
) -> None:
    """The red-team case: five bad logins every five minutes from anywhere used to lock any
    account for good. Now the admin, from their own address, waits 30 s at most."""
    attacker = from_address("203.0.113.9")
    for _ in range(12):  # an hour of five-minute bursts
        for _ in range(5):
            login(attacker, "ada", "wrong password!")
        clock.advance(300)
        owner = from_address("192.168.1.50")
        first = login(owner, "ada")
        if first.status_code == 429:
            assert int(first.headers["retry-after"]) <= 30
            clock.advance(int(first.headers["retry-after"]))
            first = login(owner, "ada")
        assert first.status_code == 303, first.text
    assert login(attacker, "ada").status_code == 429  # the attacker's address still waits


def test_the_address_that_fails_waits_longer_than_the_account(
    from_address: Any, clock: VirtualClock
) -> None:
    attacker = from_address("203.0.113.9")
    for _ in range(12):
        login(attacker, "ada", "wrong password!")
        clock.advance(60)  # slow enough to be let through each time
    refused = login(attacker, "tian", "wrong password!")  # another account: the address waits
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 30
    assert login(from_address("10.0.0.7"), "ada").status_code in (303, 429)


def test_an_admin_unlock_lets_the_user_in_at_once(
    from_address: Any, store: Store, clock: VirtualClock
) -> None:
    attacker = from_address("203.0.113.9")
    for _ in range(10):
        login(attacker, "tian", "wrong password!")
        clock.advance(2)
    assert login(attacker, "tian").status_code == 429
    clock.advance(1)
    Accounts(store, hasher=FAST).unlock("tian", actor="cli")  # what `qanat user unlock` does
    assert login(attacker, "tian").status_code == 303  # forgiven, address included


def test_x_forwarded_for_is_no_address_of_the_app(from_address: Any, store: Store) -> None:
    """The app takes the client address from the server (uvicorn believes forwarded headers
    only from --trusted-proxy): a header cannot move an attacker to a fresh address."""
    attacker = from_address("203.0.113.9")
    for i in range(6):
        attacker.headers["x-forwarded-for"] = f"10.9.9.{i}"
        login(attacker, "ada", "wrong password!")
    assert login(attacker, "ada").status_code == 429
    addresses = {a.detail["address"] for a in store.rows_after("audit", 0) if "address" in a.detail}  # type: ignore[attr-defined]
    assert addresses == {"203.0.113.9"}
