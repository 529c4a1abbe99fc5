"""Accounts in the details a planted bug would change: the exact messages and rule codes,
session limits at their boundaries, rehashing, what logout and revocation leave alone,
and the length limits (scripts/mutation.sh controller/access/accounts.py; the login
back-off has its own tests in test_login_backoff.py)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlmodel import col, select

from controller.access.accounts import (
    ABSOLUTE,
    IDLE,
    Accounts,
    InvalidSession,
    InvalidUser,
    LastAdmin,
    LoginFailed,
    SelfLockout,
    UnknownUser,
    UserExists,
    check_new_password,
)
from controller.clock import VirtualClock
from controller.store import Store, User, UserSession
from tests.helpers.fakes import NOW
from tests.helpers.pages import FAST, PASSWORD


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(NOW)


@pytest.fixture
def accounts(tmp_path: Path, clock: VirtualClock) -> Accounts:
    return Accounts(Store.open_dir(tmp_path / "data", clock=clock), hasher=FAST)


def exactly(message: str) -> str:
    return f"^{re.escape(message)}$"


def sessions(accounts: Accounts) -> list[UserSession]:
    with accounts.store.reading() as session:
        return list(session.exec(select(UserSession).order_by(col(UserSession.id))).all())


def test_each_refusal_names_its_rule(accounts: Accounts) -> None:
    with pytest.raises(InvalidUser, match=exactly("locale 'fr': one of zh-CN, en")) as caught:
        accounts.create_user("li", PASSWORD, "viewer", locale="fr")
    assert caught.value.code == "locale"
    with pytest.raises(InvalidUser, match=r"starting with a letter$") as caught:
        accounts.create_user("1li", PASSWORD, "viewer")
    assert caught.value.code == "username"
    with pytest.raises(InvalidUser, match=exactly("password: no leading or trailing spaces")):
        accounts.create_user("li", f" {PASSWORD}", "viewer")
    with pytest.raises(InvalidUser, match=exactly("the two passwords differ")) as caught:
        check_new_password(PASSWORD, PASSWORD + "!")
    assert caught.value.code == "password_mismatch"
    accounts.create_user("li", "0123456789", "viewer")  # exactly the minimum length
    with pytest.raises(UserExists, match=exactly("user 'li' exists")):
        accounts.create_user("li", PASSWORD, "viewer")


def test_unknown_users_are_named(accounts: Accounts) -> None:
    for call in (
        lambda: accounts.user("zed"),
        lambda: accounts.enable("zed"),
        lambda: accounts.disable("zed"),
        lambda: accounts.set_role("zed", "viewer"),
    ):
        with pytest.raises(UnknownUser, match=exactly("no user 'zed'")):
            call()


def test_the_admin_rules_say_what_was_refused(accounts: Accounts) -> None:
    accounts.create_user("root", PASSWORD, "admin")
    with pytest.raises(SelfLockout, match=exactly("'root' cannot disable their own account")):
        accounts.disable("root", actor="root")
    last = "'root' is the last enabled admin (add another admin first)"
    with pytest.raises(LastAdmin, match=exactly(f"cannot disable 'root': {last}")):
        accounts.disable("root")
    with pytest.raises(LastAdmin, match=exactly(f"cannot make 'root' viewer: {last}")):
        accounts.set_role("root", "viewer")


def test_the_given_hasher_and_locale_are_used(accounts: Accounts) -> None:
    assert accounts.hasher is FAST
    assert accounts._dummy_hash.startswith("$argon2id$")
    assert accounts.create_user("li", PASSWORD, "viewer", locale="en").locale == "en"
    assert accounts.user("li").locale == "en"
    assert accounts.create_user("wang", PASSWORD, "viewer").locale == "zh-CN"


def test_every_login_failure_has_the_one_message(accounts: Accounts) -> None:
    accounts.create_user("li", PASSWORD, "viewer")
    accounts.create_user("root", PASSWORD, "admin")
    accounts.disable("li")
    for name, password in (("li", PASSWORD), ("li", "wrong password"), ("nobody", PASSWORD)):
        with pytest.raises(LoginFailed, match=exactly("wrong username or password")):
            accounts.verify_password(name, password)


def test_a_hash_of_older_parameters_is_replaced_at_login(accounts: Accounts) -> None:
    accounts.create_user("li", PASSWORD, "viewer")
    stronger = PasswordHasher(time_cost=2, memory_cost=1024, parallelism=1)
    upgraded = Accounts(accounts.store, hasher=stronger)
    assert upgraded.verify_password("li", PASSWORD).username == "li"
    with accounts.store._read() as session:
        row = session.get(User, 1)
    assert row is not None and ",t=2," in row.password_hash
    assert not stronger.check_needs_rehash(row.password_hash)
    assert upgraded.verify_password("li", PASSWORD).username == "li"


def test_a_session_knows_its_id_user_and_end(accounts: Accounts) -> None:
    user = accounts.create_user("li", PASSWORD, "viewer")
    cookie, opened = accounts.open_session(user)
    assert opened.user == user
    assert opened.expires_at == NOW + ABSOLUTE
    assert opened.id == sessions(accounts)[0].id
    found = accounts.session(cookie)
    assert (found.id, found.user, found.expires_at) == (opened.id, user, NOW + ABSOLUTE)
    with pytest.raises(InvalidSession, match=exactly("unknown session")):
        accounts.session("not a cookie")
    accounts.close_session(cookie)
    with pytest.raises(InvalidSession, match=exactly("session ended")):
        accounts.session(cookie)


def test_a_session_ends_exactly_at_its_limits(accounts: Accounts, clock: VirtualClock) -> None:
    user = accounts.create_user("li", PASSWORD, "viewer")
    cookie, _ = accounts.open_session(user)
    step = ABSOLUTE / 21  # 8 h, well inside IDLE
    for _ in range(20):
        clock.advance(step.total_seconds())
        accounts.session(cookie)
    clock.advance(step.total_seconds())  # exactly ABSOLUTE after login
    with pytest.raises(InvalidSession, match=exactly("session expired")):
        accounts.session(cookie)

    cookie, _ = accounts.open_session(user)
    clock.advance(IDLE.total_seconds())  # exactly IDLE without a request
    with pytest.raises(InvalidSession, match=exactly("session expired")):
        accounts.session(cookie)


def test_a_request_exactly_a_minute_later_counts_as_seen(
    accounts: Accounts, clock: VirtualClock
) -> None:
    user = accounts.create_user("li", PASSWORD, "viewer")
    cookie, _ = accounts.open_session(user)
    clock.advance(60)
    accounts.session(cookie)
    clock.advance((IDLE - timedelta(seconds=1)).total_seconds())
    accounts.session(cookie)  # idle for IDLE minus a second since the request


def test_logout_and_revocation_keep_the_first_end(accounts: Accounts, clock: VirtualClock) -> None:
    user = accounts.create_user("li", PASSWORD, "viewer")
    first, _ = accounts.open_session(user)
    accounts.open_session(user)
    accounts.close_session("not a cookie")  # ignored
    accounts.close_session(first)
    clock.advance(120)
    accounts.close_session(first)
    accounts.set_password("li", "another good password")
    ended = [s.revoked_at for s in sessions(accounts)]
    assert ended == [NOW, NOW + timedelta(seconds=120)]


def test_last_logins_are_per_user(accounts: Accounts, clock: VirtualClock) -> None:
    li = accounts.create_user("li", PASSWORD, "viewer")
    wang = accounts.create_user("wang", PASSWORD, "viewer")
    accounts.open_session(li)
    clock.advance(3600)
    accounts.open_session(wang)
    assert accounts.last_logins() == {"li": NOW, "wang": NOW + timedelta(hours=1)}


def test_every_text_of_an_account_is_bounded(accounts: Accounts) -> None:
    accounts.create_user("li", "x" * 1024, "viewer", display_name="名" * 64)  # at the limits
    with pytest.raises(InvalidUser, match=exactly("display name: at most 64 characters")) as c:
        accounts.create_user("wang", PASSWORD, "viewer", display_name="名" * 65)
    assert c.value.code == "display_name"
    with pytest.raises(InvalidUser, match=exactly("password: at most 1024 characters")) as c:
        accounts.create_user("wang", "x" * 1025, "viewer")
    assert c.value.code == "password_long"
    with pytest.raises(InvalidUser):
        accounts.set_password("li", "x" * 1025)
    with pytest.raises(LoginFailed):
        accounts.verify_password("li", "x" * 1025)  # refused without hashing megabytes
    assert accounts.verify_password("li", "x" * 1024).username == "li"


def test_an_unlock_is_audited_and_read_back(accounts: Accounts, clock: VirtualClock) -> None:
    accounts.create_user("li", PASSWORD, "viewer")
    assert accounts.last_unlock("li") is None
    accounts.unlock("li", actor="cli")
    clock.advance(60)
    accounts.unlock("li", actor="ada")
    assert accounts.last_unlock("li") == NOW + timedelta(seconds=60)
    assert accounts.last_unlock("wang") is None
    with pytest.raises(UnknownUser):
        accounts.unlock("wang", actor="cli")
