"""The page guards on their own: which Host names are answered, which POSTs count as same-origin."""

from __future__ import annotations

import pytest

from web.security import HostPolicy, same_origin

HOST = "qanat.farm.lan:8080"


def test_a_post_with_neither_origin_nor_referer_is_refused() -> None:
    # A browser sends Origin with every form POST; one without it and without a Referer
    # cannot be shown to come from this box.
    assert not same_origin(HOST, None, None)
    assert not same_origin(HOST, "", "")
    assert not same_origin(HOST, "null", None)  # an opaque origin (sandboxed frame)


def test_origin_or_else_referer_must_name_this_box() -> None:
    assert same_origin(HOST, f"http://{HOST}", None)
    assert same_origin(HOST, None, f"http://{HOST}/zones")
    assert same_origin(HOST, "null", f"http://{HOST}/zones")
    assert not same_origin(HOST, "http://evil.example", f"http://{HOST}/zones")
    assert not same_origin(HOST, None, "http://evil.example/qanat.farm.lan:8080")
    assert not same_origin(HOST, "http://qanat.farm.lan:8081", None)
    assert not same_origin(None, f"http://{HOST}", None)


@pytest.mark.parametrize(
    "host",
    ["a.farm.lan", "a.b.farm.lan", "PUMP.Farm.Lan:8080", "qanat.local", "localhost:80", "[::1]"],
)
def test_allowed_hosts_and_wildcard_subdomains_are_answered(host: str) -> None:
    assert HostPolicy(["*.farm.lan", "qanat.local"]).accepts(host)


@pytest.mark.parametrize(
    "host",
    [
        "evilfarm.lan",  # ends with "farm.lan" but is not below it
        "evilfarm.lan:8080",
        "farm.lan.evil.example",
        "xfarm.lan",
        "farm.lan",  # the wildcard names subdomains, not the domain itself
        "qanat.local.evil.example",
        "",
        None,
    ],
)
def test_names_outside_the_allowed_ones_are_refused(host: str | None) -> None:
    assert not HostPolicy(["*.farm.lan", "qanat.local"]).accepts(host)
