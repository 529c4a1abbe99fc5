"""Accounts of the pages: argon2id hashes, sessions that end, ``qanat user``."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest

from controller.access.accounts import (
    ABSOLUTE,
    Accounts,
    InvalidSession,
    InvalidUser,
    LastAdmin,
    LoginFailed,
    SelfLockout,
    UserExists,
    check_new_password,
)
from controller.cli import main
from controller.clock import VirtualClock
from controller.store import Store
from tests.helpers.fakes import NOW
from tests.helpers.pages import FAST, PASSWORD


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(NOW)


@pytest.fixture
def accounts(tmp_path: Path, clock: VirtualClock) -> Accounts:
    return Accounts(Store.open_dir(tmp_path / "data", clock=clock), hasher=FAST)


def test_passwords_are_kept_as_argon2id_hashes(accounts: Accounts) -> None:
    accounts.create_user("li", PASSWORD, "technician")
    with accounts.store._read() as session:
        from controller.store import User

        row = session.get(User, 1)
    assert row is not None and row.password_hash.startswith("$argon2id$")
    assert PASSWORD not in row.password_hash
    assert accounts.verify_password("li", PASSWORD).username == "li"
    for name, password in (("li", "wrong password!"), ("nobody", PASSWORD)):
        with pytest.raises(LoginFailed, match="wrong username or password"):
            accounts.verify_password(name, password)


def test_bad_users_are_refused_with_the_reason(accounts: Accounts) -> None:
    with pytest.raises(InvalidUser, match="at least 10"):
        accounts.create_user("li", "short", "technician")
    with pytest.raises(InvalidUser, match="username"):
        accounts.create_user("Li Wei", PASSWORD, "technician")
    with pytest.raises(InvalidUser, match="role"):
        accounts.create_user("li", PASSWORD, "root")
    accounts.create_user("li", PASSWORD, "technician")
    with pytest.raises(UserExists):
        accounts.create_user("li", PASSWORD, "viewer")


def test_sessions_end_at_the_absolute_limit_and_on_logout(
    accounts: Accounts, clock: VirtualClock
) -> None:
    user = accounts.create_user("li", PASSWORD, "technician")
    cookie, info = accounts.open_session(user)
    assert cookie not in info.token_hash
    for _ in range(int(ABSOLUTE.total_seconds() // 36_000)):  # active every 10 h
        clock.advance(36_000)
        accounts.session(cookie)
    clock.advance(36_000)
    with pytest.raises(InvalidSession, match="expired"):
        accounts.session(cookie)
    cookie, _ = accounts.open_session(user)
    accounts.close_session(cookie)
    with pytest.raises(InvalidSession):
        accounts.session(cookie)


def test_password_change_and_disable_end_sessions(accounts: Accounts) -> None:
    user = accounts.create_user("li", PASSWORD, "technician")
    cookie, _ = accounts.open_session(user)
    accounts.set_password("li", "another good password")
    with pytest.raises(InvalidSession):
        accounts.session(cookie)
    cookie, _ = accounts.open_session(accounts.verify_password("li", "another good password"))
    accounts.disable("li")
    with pytest.raises(InvalidSession):
        accounts.session(cookie)
    with pytest.raises(LoginFailed):
        accounts.verify_password("li", "another good password")


def test_qanat_user_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    data = str(tmp_path / "data")
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert (
        main(
            [
                "user",
                "add",
                "--role",
                "admin",
                "--username",
                "ada",
                "--data-dir",
                data,
                "--password-stdin",
            ]
        )
        == 0
    )
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert (
        main(
            [
                "user",
                "add",
                "--role",
                "viewer",
                "--username",
                "wei",
                "--data-dir",
                data,
                "--password-stdin",
            ]
        )
        == 1
    )
    assert "at least 10 characters" in capsys.readouterr().err
    assert main(["user", "list", "--data-dir", data]) == 0
    out = capsys.readouterr().out
    assert "ada" in out and "admin" in out and "wei" not in out
    monkeypatch.setattr("sys.stdin", io.StringIO("a new good password\n"))
    assert main(["user", "passwd", "ada", "--password-stdin", "--data-dir", data]) == 0
    capsys.readouterr()
    assert main(["user", "disable", "ada", "--data-dir", data]) == 1  # the last admin
    assert "'ada' is the last enabled admin (add another admin first)" in capsys.readouterr().err
    assert main(["user", "role", "ada", "viewer", "--data-dir", data]) == 1
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert (
        main(
            [
                "user",
                "add",
                "--role",
                "admin",
                "--username",
                "bo",
                "--data-dir",
                data,
                "--password-stdin",
            ]
        )
        == 0
    )
    assert main(["user", "disable", "ada", "--data-dir", data]) == 0
    assert main(["user", "enable", "ada", "--data-dir", data]) == 0
    assert main(["user", "role", "bo", "technician", "--data-dir", data]) == 0
    assert main(["user", "disable", "nobody", "--data-dir", data]) == 1
    assert main(["user", "unlock", "ada", "--data-dir", data]) == 0
    assert main(["user", "unlock", "nobody", "--data-dir", data]) == 1
    with Store.open_dir(Path(data)) as store:
        actions = [a.action for a in store.rows_after("audit", 0)]  # type: ignore[attr-defined]
        users = {u.username: u for u in Accounts(store).users()}
    assert actions == [
        "user.add",
        "user.passwd",
        "user.add",
        "user.disable",
        "user.enable",
        "user.role",
        "user.unlock",
    ]
    assert not users["ada"].disabled and users["bo"].role.value == "technician"


def test_the_site_keeps_an_enabled_admin_and_nobody_locks_themselves_out(
    accounts: Accounts,
) -> None:
    accounts.create_user("ada", PASSWORD, "admin")
    accounts.create_user("li", PASSWORD, "technician")
    with pytest.raises(LastAdmin, match="last enabled admin"):
        accounts.disable("ada", actor="li")
    with pytest.raises(LastAdmin):
        accounts.set_role("ada", "technician")
    accounts.set_role("ada", "admin")  # no change in rank: fine
    accounts.set_role("li", "admin")
    with pytest.raises(SelfLockout):
        accounts.disable("li", actor="li")
    accounts.disable("ada", actor="li")
    with pytest.raises(LastAdmin):  # a disabled admin does not count
        accounts.set_role("li", "viewer")
    accounts.enable("ada")
    accounts.set_role("li", "viewer")
    assert [(u.username, u.role.value, u.disabled) for u in accounts.users()] == [
        ("ada", "admin", False),
        ("li", "viewer", False),
    ]
    with pytest.raises(InvalidUser) as caught:
        accounts.set_role("li", "root")
    assert caught.value.code == "role"


def test_a_new_password_is_typed_twice_alike(accounts: Accounts) -> None:
    with pytest.raises(InvalidUser) as caught:
        check_new_password("correct horse battery", "correct horse batterY")
    assert caught.value.code == "password_mismatch"
    with pytest.raises(InvalidUser) as caught:
        check_new_password("short", "short")
    assert caught.value.code == "password_short"
    check_new_password(PASSWORD, PASSWORD)


def test_last_login_is_the_latest_session(accounts: Accounts, clock: VirtualClock) -> None:
    user = accounts.create_user("li", PASSWORD, "technician")
    accounts.create_user("wei", PASSWORD, "viewer")
    accounts.open_session(user)
    clock.advance(3600)
    accounts.open_session(user)
    assert accounts.last_logins() == {"li": NOW + dt.timedelta(hours=1)}
    assert accounts.user("wei").created_at == NOW
