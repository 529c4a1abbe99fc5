"""The page guards in the details a planted bug would change: the box secret on disk, the
CSRF token's form, ``Host`` parsing (scripts/mutation.sh web/security.py)."""

from __future__ import annotations

import hashlib
import hmac
import stat
from pathlib import Path

import pytest

from web.security import SECRET_FILE, HostPolicy, _hostname, csrf_token, csrf_valid
from web.security import load_box_secret as load

SECRET = b"k" * 32
SESSION = "3f" * 32


def test_without_a_data_dir_every_process_draws_its_own_secret() -> None:
    a, b = load(None), load(None)
    assert len(a) == len(b) == 32
    assert a != b


def test_the_secret_is_created_once_with_its_parents_and_kept(tmp_path: Path) -> None:
    data_dir = tmp_path / "var" / "qanat"  # neither exists yet
    secret = load(data_dir)
    path = data_dir / SECRET_FILE
    assert len(secret) == 32
    assert path.read_bytes() == secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # the key of every CSRF token
    assert load(data_dir) == secret  # tokens survive a restart


def test_an_existing_data_dir_without_a_secret_gets_one(tmp_path: Path) -> None:
    secret = load(tmp_path)
    assert (tmp_path / SECRET_FILE).read_bytes() == secret


@pytest.mark.parametrize(("size", "kept"), [(31, False), (32, True), (64, True)])
def test_a_secret_of_fewer_than_32_bytes_is_replaced(tmp_path: Path, size: int, kept: bool) -> None:
    old = bytes(range(size))
    (tmp_path / SECRET_FILE).write_bytes(old)
    secret = load(tmp_path)
    assert (secret == old) is kept
    assert len(secret) == (size if kept else 32)
    assert (tmp_path / SECRET_FILE).read_bytes() == secret


def test_the_csrf_token_is_the_hex_hmac_sha256_of_the_session() -> None:
    expected = hmac.new(SECRET, SESSION.encode(), hashlib.sha256).hexdigest()
    assert csrf_token(SECRET, SESSION) == expected
    assert csrf_token(SECRET, SESSION) != csrf_token(b"j" * 32, SESSION)
    assert csrf_token(SECRET, SESSION) != csrf_token(SECRET, "40" * 32)


def test_only_the_sessions_own_token_is_valid() -> None:
    token = csrf_token(SECRET, SESSION)
    assert csrf_valid(SECRET, SESSION, token)
    assert not csrf_valid(SECRET, SESSION, None)
    assert not csrf_valid(SECRET, SESSION, "")
    assert not csrf_valid(SECRET, SESSION, token[:-1] + ("0" if token[-1] != "0" else "1"))
    assert not csrf_valid(SECRET, "40" * 32, token)  # another session's
    assert not csrf_valid(b"j" * 32, SESSION, token)  # another box's


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("[::1]:8080", "::1"),
        ("[::1]", "::1"),
        ("[::1]]", "::1"),
        ("[::1", "[::1"),  # no closing bracket: left as it is, and refused below
        ("::1", "::1"),  # a bare IPv6 literal has no port to strip
        (" Qanat.Local:8080 ", "qanat.local"),
        ("qanat.local", "qanat.local"),
    ],
)
def test_host_without_its_port(header: str, name: str) -> None:
    assert _hostname(header) == name


def test_bare_and_bracketed_ipv6_hosts_are_answered() -> None:
    policy = HostPolicy()
    assert policy.accepts("::1")
    assert policy.accepts("[::1]:8080")
    assert not policy.accepts("[::1")


def test_a_lone_star_allows_nothing() -> None:
    # "*" in allowed_hosts would answer every name (a DNS rebinding door): it is dropped.
    assert not HostPolicy(["*"]).accepts("*")
    assert not HostPolicy(["*"]).accepts("evil.example")
