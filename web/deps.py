"""Typed dependencies of the HTTP API: the service, the store and who is asking.

Routes declare what they need as ``Annotated`` types::

    def start(zone: str, body: RunCreate, service: ServiceDep, token: TechnicianToken): ...

A missing or unknown token is a 401 with ``WWW-Authenticate: Bearer``; a valid
token whose role is too low is a 403, and the refusal is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from controller.daemon.protocol import ControlService
from controller.store import InvalidToken, Role, Store, TokenInfo

__all__ = [
    "AdminToken",
    "CurrentToken",
    "RequireRole",
    "ServiceDep",
    "StoreDep",
    "TechnicianToken",
    "ViewerToken",
    "WebContext",
]

# Each role can do everything the roles below it can.
_RANK = {Role.VIEWER: 0, Role.TECHNICIAN: 1, Role.ADMIN: 2}

_bearer = HTTPBearer(auto_error=False, description="An API token made with `qanat token`.")


@dataclass(frozen=True, slots=True)
class WebContext:
    """What :func:`web.app.create_app` was given, kept on ``app.state.qanat``."""

    service: ControlService
    store: Store


def _context(request: Request) -> WebContext:
    context: WebContext = request.app.state.qanat
    return context


def get_service(context: Annotated[WebContext, Depends(_context)]) -> ControlService:
    return context.service


def get_store(context: Annotated[WebContext, Depends(_context)]) -> Store:
    return context.store


ServiceDep = Annotated[ControlService, Depends(get_service)]
StoreDep = Annotated[Store, Depends(get_store)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


def get_current_token(
    store: StoreDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> TokenInfo:
    """The verified bearer token of the request."""
    if credentials is None:
        raise _unauthorized("missing bearer token")
    try:
        return store.verify_token(credentials.credentials)
    except InvalidToken:
        raise _unauthorized("invalid or revoked token") from None


CurrentToken = Annotated[TokenInfo, Depends(get_current_token)]


class RequireRole:
    """A dependency that lets ``role`` and higher through and audits everyone else."""

    def __init__(self, role: Role) -> None:
        self.role = role

    def __call__(self, request: Request, token: CurrentToken, store: StoreDep) -> TokenInfo:
        if _RANK[token.role] >= _RANK[self.role]:
            return token
        store.record_audit(
            token.name,
            "api.refused",
            {
                "method": request.method,
                "path": request.url.path,
                "role": token.role.value,
                "required": self.role.value,
            },
        )
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN,
            detail=f"role {token.role.value} may not do this: {self.role.value} required",
        )


ViewerToken = Annotated[TokenInfo, Depends(RequireRole(Role.VIEWER))]
TechnicianToken = Annotated[TokenInfo, Depends(RequireRole(Role.TECHNICIAN))]
AdminToken = Annotated[TokenInfo, Depends(RequireRole(Role.ADMIN))]
