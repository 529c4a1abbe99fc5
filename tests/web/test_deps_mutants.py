"""The API's role check and token check, every role against every minimum
(scripts/mutation.sh web/deps.py).

The dependencies are called directly with a verified token, a request's method and path and a
store that records its audit, so each refusal is seen with its status, its words and its
audit row, and each pass with nothing audited.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any, cast

import pytest
from fastapi import HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials

from controller.store import InvalidToken, Role, Store, TokenInfo
from web.deps import RequireRole, get_current_token

ORDER = [Role.VIEWER, Role.TECHNICIAN, Role.ADMIN]  # each may do what those before it may
T0 = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


class Audit:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, dict[str, Any]]] = []
        self.verified: list[str] = []

    def record_audit(self, actor: str, action: str, detail: dict[str, Any]) -> None:
        self.rows.append((actor, action, detail))

    def verify_token(self, token: str) -> TokenInfo:
        self.verified.append(token)
        if token != "good":
            raise InvalidToken("unknown")
        return token_of(Role.VIEWER)


def token_of(role: Role) -> TokenInfo:
    return TokenInfo(7, f"{role.value}-box", role, T0, None, None)


def request(method: str = "POST", path: str = "/api/v1/zones/z1/start") -> Request:
    return cast(Request, SimpleNamespace(method=method, url=SimpleNamespace(path=path)))


@pytest.mark.parametrize("needed", ORDER)
@pytest.mark.parametrize("role", ORDER)
def test_a_role_passes_exactly_where_its_rank_reaches(role: Role, needed: Role) -> None:
    audit = Audit()
    token = token_of(role)
    check = RequireRole(needed)
    if ORDER.index(role) >= ORDER.index(needed):
        assert check(request(), token, cast(Store, audit)) is token
        assert audit.rows == []
        return
    with pytest.raises(HTTPException) as err:
        check(request("DELETE", "/api/v1/tokens/3"), token, cast(Store, audit))
    assert err.value.status_code == 403
    assert err.value.detail == f"role {role.value} may not do this: {needed.value} required"
    assert audit.rows == [
        (
            f"{role.value}-box",
            "api.refused",
            {
                "method": "DELETE",
                "path": "/api/v1/tokens/3",
                "role": role.value,
                "required": needed.value,
            },
        )
    ]


def test_no_credentials_are_a_401_asking_for_a_bearer_token() -> None:
    audit = Audit()
    with pytest.raises(HTTPException) as err:
        get_current_token(cast(Store, audit), None)
    assert (err.value.status_code, err.value.detail) == (401, "missing bearer token")
    assert err.value.headers == {"WWW-Authenticate": "Bearer"}
    assert audit.verified == []


def test_an_unknown_token_is_a_401_without_its_cause() -> None:
    audit = Audit()
    credentials = HTTPAuthorizationCredentials(scheme="Bearer", credentials="bad")
    with pytest.raises(HTTPException) as err:
        get_current_token(cast(Store, audit), credentials)
    assert (err.value.status_code, err.value.detail) == (401, "invalid or revoked token")
    assert err.value.headers == {"WWW-Authenticate": "Bearer"}
    assert err.value.__suppress_context__ and err.value.__cause__ is None
    assert audit.verified == ["bad"]


def test_a_known_token_is_what_the_store_verified() -> None:
    audit = Audit()
    credentials = HTTPAuthorizationCredentials(scheme="Bearer", credentials="good")
    assert get_current_token(cast(Store, audit), credentials) == token_of(Role.VIEWER)
    assert audit.verified == ["good"]
