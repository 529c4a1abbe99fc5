"""Accounts in the details a planted bug would change: the exact messages and rule codes,
session limits at their boundaries, rehashing, what logout and revocation leave alone,
the login limiter's defaults and its memory bound
(scripts/mutation.sh controller/access/accounts.py)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlmodel import col, select

import controller.access.accounts as accounts_module
from controller.access.accounts import (
    ABSOLUTE,
    IDLE,
    Accounts,
    InvalidSession,
    InvalidUser,
    LastAdmin,
    LoginFailed,
    LoginLimiter,
    SelfLockout,
    TooManyAttempts,
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


def test_the_limiter_defaults_are_5_per_user_20_per_address_over_5_minutes() -> None:
    now = [0.0]
    limiter = LoginLimiter(now=lambda: now[0])
    for i in range(4):
        limiter.failed(f"10.0.0.{i}", "li")
    limiter.check("10.0.0.9", "li")
    limiter.failed("10.0.0.9", "li")
    with pytest.raises(TooManyAttempts):
        limiter.check("10.0.0.10", "li")
    for i in range(19):
        limiter.failed("10.0.1.1", f"user{i}")
    limiter.check("10.0.1.1", "someone")
    limiter.failed("10.0.1.1", "user19")
    with pytest.raises(TooManyAttempts):
        limiter.check("10.0.1.1", "someone")
    now[0] = 299.5
    with pytest.raises(TooManyAttempts):
        limiter.check("10.0.1.1", "someone")
    now[0] = 300.0  # a failure exactly a window old no longer counts
    limiter.check("10.0.1.1", "someone")
    limiter.check("10.0.0.10", "li")


def test_the_limiter_says_when_to_try_again() -> None:
    now = [0.0]
    limiter = LoginLimiter(per_user=2, per_address=100, window_s=300, now=lambda: now[0])
    limiter.failed("10.0.0.1", "li")
    now[0] = 100
    limiter.failed("10.0.0.1", "li")
    now[0] = 150
    with pytest.raises(
        TooManyAttempts, match=exactly("too many failed logins; try again in 150 s")
    ):
        limiter.check("10.0.0.1", "li")
    now[0] = 299.5
    with pytest.raises(TooManyAttempts) as caught:
        limiter.check("10.0.0.1", "li")
    assert caught.value.retry_after_s == 1.0  # never less than a second


def test_a_success_clears_only_that_users_count() -> None:
    limiter = LoginLimiter(per_user=1, per_address=2, window_s=300, now=lambda: 0.0)
    limiter.succeeded("nobody")  # nothing to clear
    limiter.failed("10.0.0.1", "li")
    limiter.succeeded("li")
    limiter.check("10.0.0.1", "li")
    limiter.failed("10.0.0.1", "li")
    with pytest.raises(TooManyAttempts):
        limiter.check("10.0.0.1", "wang")  # the address still counts both


def test_the_limiter_forgets_quiet_keys_only_past_its_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(accounts_module, "MAX_TRACKED", 2)
    now = [0.0]
    limiter = LoginLimiter(per_user=100, per_address=100, window_s=300, now=lambda: now[0])
    limiter.failed("A", "x")  # two keys, quiet from t = 300
    now[0] = 300
    limiter.check("A", "z")  # a third key at the bound: nothing forgotten yet
    assert set(limiter._fails) == {"a:A", "u:x", "u:z"}

    limiter = LoginLimiter(per_user=100, per_address=100, window_s=300, now=lambda: now[0])
    now[0] = 0
    limiter.failed("A", "x")
    now[0] = 100
    limiter.failed("A", "w")  # a:A has failures at 0 and 100
    now[0] = 300
    limiter.check("B", "v")
    # over the bound: u:x (last failure exactly a window ago) and the empty a:B are forgotten
    assert set(limiter._fails) == {"a:A", "u:w", "u:v"}
