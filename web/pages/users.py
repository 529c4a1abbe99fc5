"""Users of the pages (admins): list, add, change a role, disable or enable, reset a password.

The rules are :mod:`controller.access.accounts`'s, shared with ``qanat user``: usernames,
passwords of at least 10 characters typed twice alike, argon2id hashes, the site
keeping an enabled admin, nobody disabling themselves. Disabling a user or
resetting their password ends their sessions. Every change is audited with the
acting admin's username; refusals are worded in the page's language.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, Response

from controller.access.accounts import (
    AccountError,
    InvalidUser,
    LastAdmin,
    SelfLockout,
    SessionInfo,
    UnknownUser,
    UserExists,
    check_new_password,
)
from controller.daemon.lookups import unknown
from controller.store import Role
from web.i18n import translate
from web.pages.context import AdminPage, CsrfChecked, PagesDep, render
from web.pages.control import _back
from web.pages.lookups import not_found
from web.params import MAX_NAME_CHARS, MAX_TEXT_CHARS, NameInPath

router = APIRouter(include_in_schema=False)

ROLES = tuple(r.value for r in Role)


def _page(
    request: Request,
    pages: PagesDep,
    session: SessionInfo,
    *,
    code: int = 200,
    errors: list[str] | None = None,
    draft: dict[str, str] | None = None,
) -> HTMLResponse:
    return render(
        request,
        pages,
        "users.html",
        session,
        status_code=code,
        users=pages.accounts.users(),
        last_logins=pages.accounts.last_logins(),
        roles=ROLES,
        errors=errors or [],
        draft=draft or {},
    )


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, pages: PagesDep, session: AdminPage) -> HTMLResponse:
    return _page(request, pages, session)


def _refused(
    request: Request,
    pages: PagesDep,
    session: SessionInfo,
    exc: AccountError,
    username: str,
    draft: dict[str, str] | None = None,
) -> Response:
    """The page again with the refusal in its language (422, or 409 for a protected admin)."""
    locale = session.user.locale
    if isinstance(exc, UnknownUser):
        raise not_found(locale, unknown("user", user=username))
    if isinstance(exc, InvalidUser):
        message = translate(locale, f"users.invalid_{exc.code}", username=username)
    elif isinstance(exc, UserExists):
        message = translate(locale, "users.exists", username=username)
    elif isinstance(exc, LastAdmin):
        message = translate(locale, "users.last_admin", username=username)
    elif isinstance(exc, SelfLockout):
        message = translate(locale, "users.self_disable")
    else:  # pragma: no cover - every AccountError a change can raise is worded above
        message = str(exc)
    code = (
        status.HTTP_409_CONFLICT
        if isinstance(exc, LastAdmin | SelfLockout)
        else status.HTTP_422_UNPROCESSABLE_CONTENT
    )
    return _page(request, pages, session, code=code, errors=[message], draft=draft)


def _done(
    request: Request,
    pages: PagesDep,
    session: SessionInfo,
    action: str,
    key: str,
    username: str,
    role: str | None = None,
) -> Response:
    """Audit the change with the acting admin's name; back to the page with a message."""
    details = {"username": username, **({"role": role} if role else {})}
    pages.store.record_audit(session.user.username, action, details)
    locale = session.user.locale
    role_name = translate(locale, f"role.{role}") if role else ""
    return _back(
        request, pages, translate(locale, key, username=username, role=role_name), "/users"
    )


@router.post("/users")
def add_user(
    request: Request,
    pages: PagesDep,
    session: AdminPage,
    _: CsrfChecked,
    username: Annotated[str, Form(max_length=MAX_NAME_CHARS)] = "",
    display_name: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
    role: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
    password: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
    password_again: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
) -> Response:
    username = username.strip()
    draft = {"username": username, "display_name": display_name.strip(), "role": role}
    try:
        check_new_password(password, password_again)
        user = pages.accounts.create_user(
            username,
            password,
            role,
            display_name=display_name.strip(),
            locale=session.user.locale,
        )
    except AccountError as exc:
        return _refused(request, pages, session, exc, username, draft)
    return _done(request, pages, session, "user.add", "users.added", user.username, user.role.value)


@router.post("/users/{username}/role")
def change_role(
    username: NameInPath,
    request: Request,
    pages: PagesDep,
    session: AdminPage,
    _: CsrfChecked,
    role: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
) -> Response:
    try:
        user = pages.accounts.set_role(username, role)
    except AccountError as exc:
        return _refused(request, pages, session, exc, username)
    return _done(
        request, pages, session, "user.role", "users.role_changed", username, user.role.value
    )


@router.post("/users/{username}/disable")
def disable_user(
    username: NameInPath, request: Request, pages: PagesDep, session: AdminPage, _: CsrfChecked
) -> Response:
    try:
        pages.accounts.disable(username, actor=session.user.username)
    except AccountError as exc:
        return _refused(request, pages, session, exc, username)
    return _done(request, pages, session, "user.disable", "users.disabled_done", username)


@router.post("/users/{username}/enable")
def enable_user(
    username: NameInPath, request: Request, pages: PagesDep, session: AdminPage, _: CsrfChecked
) -> Response:
    try:
        pages.accounts.enable(username)
    except AccountError as exc:
        return _refused(request, pages, session, exc, username)
    return _done(request, pages, session, "user.enable", "users.enabled", username)


@router.post("/users/{username}/password")
def reset_password(
    username: NameInPath,
    request: Request,
    pages: PagesDep,
    session: AdminPage,
    _: CsrfChecked,
    password: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
    password_again: Annotated[str, Form(max_length=MAX_TEXT_CHARS)] = "",
) -> Response:
    """A new password set by an admin; the user's sessions end (theirs, and the admin's own
    when it is their own password)."""
    try:
        pages.accounts.user(username)
        check_new_password(password, password_again)
        pages.accounts.set_password(username, password)
    except AccountError as exc:
        return _refused(request, pages, session, exc, username)
    return _done(request, pages, session, "user.passwd", "users.password_reset", username)
