"""People who log in to the local pages: users, passwords, sessions, login rate limits.

* Passwords are hashed with argon2id (argon2-cffi's defaults: 64 MiB, 3 passes);
  there is no default password: the first admin is made with ``qanat user add``.
* A session is a random cookie value (256 bits); the store keeps only its
  SHA-256 (like API tokens, :mod:`controller.store.tokens`). A session ends
  after :data:`IDLE` without a request, at :data:`ABSOLUTE` after login, or on logout.
* Failed logins slow further attempts down (:mod:`controller.access.lockout`);
  :meth:`Accounts.unlock` (``qanat user unlock``) forgives an account at once.
* Every text a person types is bounded: usernames 32 characters, display names
  :data:`MAX_DISPLAY_NAME_CHARS`, passwords :data:`MAX_PASSWORD_CHARS`.
* The site always keeps an enabled admin: the last one cannot be disabled or
  given another role, and nobody disables themselves (``actor``). The rules
  are here so that ``qanat user`` and the users page share them.

Errors::

    AccountError
    ├── InvalidUser        bad username, display name, role, locale or password (``code``)
    ├── UserExists
    ├── UnknownUser
    ├── LastAdmin          the change would leave no enabled admin
    ├── SelfLockout        an admin disabling their own account
    ├── LoginFailed        wrong username or password, or a disabled user (one message)
    ├── InvalidSession     unknown, expired or revoked session cookie
    └── TooManyAttempts    ``retry_after_s``
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlmodel import Session, col, func, select

from controller.errors import ControllerError
from controller.store import AuditEntry, Role, Store, User, UserSession
from controller.store.tokens import hash_token, new_token

__all__ = [
    "ABSOLUTE",
    "IDLE",
    "LOCALES",
    "MAX_DISPLAY_NAME_CHARS",
    "MAX_PASSWORD_CHARS",
    "MIN_PASSWORD_CHARS",
    "AccountError",
    "Accounts",
    "InvalidSession",
    "InvalidUser",
    "LastAdmin",
    "LoginFailed",
    "SelfLockout",
    "SessionInfo",
    "TooManyAttempts",
    "UnknownUser",
    "UserExists",
    "UserInfo",
    "check_new_password",
]

IDLE = timedelta(hours=12)  # a session unused this long ends
ABSOLUTE = timedelta(days=7)  # and every session ends this long after login
TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most this often
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024  # a passphrase fits; megabytes would only cost hashing time
MAX_DISPLAY_NAME_CHARS = 64
LOCALES = ("zh-CN", "en")
UNLOCK = "user.unlock"  # the audit action of an unlock: the daemon reads it back
_USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,31}$")


class AccountError(ControllerError):
    """Base of every account error."""


class InvalidUser(AccountError):
    """A username, role, locale or password that cannot be accepted; the message says which.

    ``code`` names the rule for pages that word it in their own language: ``username``,
    ``display_name``, ``password_short``, ``password_long``, ``password_spaces``,
    ``password_mismatch``, ``role``, ``locale``.
    """

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class UserExists(AccountError):
    pass


class UnknownUser(AccountError):
    pass


class LastAdmin(AccountError):
    """The change would leave the site without an enabled admin."""


class SelfLockout(AccountError):
    """An admin may not disable their own account."""


class LoginFailed(AccountError):
    """Wrong username or password (or a disabled user): deliberately one message for all."""


class InvalidSession(AccountError):
    pass


class TooManyAttempts(AccountError):
    def __init__(self, retry_after_s: float) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after_s:.0f} s")
        self.retry_after_s = retry_after_s


@dataclass(frozen=True, slots=True)
class UserInfo:
    id: int
    username: str
    display_name: str
    role: Role
    locale: str
    disabled: bool
    created_at: datetime

    @classmethod
    def of(cls, row: User) -> UserInfo:
        assert row.id is not None
        return cls(
            row.id,
            row.username,
            row.display_name,
            Role(row.role),
            row.locale,
            row.disabled_at is not None,
            row.created_at,
        )


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """A live session and its user. ``token_hash`` keys the CSRF token (never the cookie)."""

    id: int
    token_hash: str
    user: UserInfo
    expires_at: datetime


class Accounts:
    """Users and page sessions over the daemon's store (tables ``users`` and ``sessions``)."""

    def __init__(self, store: Store, *, hasher: PasswordHasher | None = None) -> None:
        self.store = store
        self.clock = store.clock
        self.hasher = hasher if hasher is not None else PasswordHasher()  # argon2id
        self._dummy: str | None = None

    @property
    def _dummy_hash(self) -> str:
        """Verified against when the user is unknown, so the answer takes as long."""
        if self._dummy is None:
            self._dummy = self.hasher.hash("not a password of anyone")
        return self._dummy

    # -- users ----------------------------------------------------------------------
    def create_user(
        self,
        username: str,
        password: str,
        role: Role | str,
        *,
        display_name: str = "",
        locale: str = "zh-CN",
    ) -> UserInfo:
        """Create a user; :class:`InvalidUser` or :class:`UserExists`."""
        _check_username(username)
        _check_display_name(display_name)
        _check_password(password)
        _check_locale(locale)
        role = _role(role)
        if self._row(username) is not None:
            raise UserExists(f"user {username!r} exists")
        row = User(
            username=username,
            display_name=display_name,
            role=role.value,
            locale=locale,
            password_hash=self.hasher.hash(password),
            created_at=self.clock.now(),
        )
        with self.store.writing() as session:
            session.add(row)
        return UserInfo.of(row)

    def users(self) -> list[UserInfo]:
        with self.store.reading() as session:
            rows = session.exec(select(User).order_by(col(User.id))).all()
        return [UserInfo.of(r) for r in rows]

    def user(self, username: str) -> UserInfo:
        row = self._row(username)
        if row is None:
            raise UnknownUser(f"no user {username!r}")
        return UserInfo.of(row)

    def set_password(self, username: str, password: str) -> None:
        """Change a password and end every session of the user."""
        _check_password(password)
        new_hash = self.hasher.hash(password)
        self._update(username, lambda row: setattr(row, "password_hash", new_hash))
        self._revoke_all(username)

    def disable(self, username: str, *, actor: str | None = None) -> None:
        """The user can no longer log in; their sessions end now.

        :class:`SelfLockout` if ``actor`` is the user; :class:`LastAdmin` if the user is
        the last enabled admin (add another admin first).
        """
        if actor == username:
            raise SelfLockout(f"{username!r} cannot disable their own account")
        now = self.clock.now()
        with self.store.writing() as session:
            row = self._locked_row(session, username)
            if row.disabled_at is None:
                self._keep_an_admin(session, row, f"disable {username!r}")
                row.disabled_at = now
                session.add(row)
        self._revoke_all(username)

    def enable(self, username: str) -> None:
        """A disabled user may log in again (with their old password)."""
        self._update(username, lambda row: setattr(row, "disabled_at", None))

    def set_role(self, username: str, role: Role | str) -> UserInfo:
        """Give the user ``role`` (their sessions see it at once); :class:`LastAdmin` if that
        would demote the last enabled admin."""
        role = _role(role)
        with self.store.writing() as session:
            row = self._locked_row(session, username)
            if role is not Role.ADMIN:
                self._keep_an_admin(session, row, f"make {username!r} {role.value}")
            row.role = role.value
            session.add(row)
        return UserInfo.of(row)

    def last_logins(self) -> dict[str, datetime]:
        """Each user's latest login (the start of their latest session), by username."""
        with self.store.reading() as session:
            rows = session.exec(
                select(User.username, func.max(UserSession.created_at))
                .join(UserSession, col(UserSession.user_id) == col(User.id))
                .group_by(col(User.username))
            ).all()
        return {name: when for name, when in rows if when is not None}

    def set_locale(self, username: str, locale: str) -> None:
        _check_locale(locale)
        self._update(username, lambda row: setattr(row, "locale", locale))

    def verify_password(self, username: str, password: str) -> UserInfo:
        """The user if the password is right and the user enabled; else :class:`LoginFailed`."""
        if len(password) > MAX_PASSWORD_CHARS or len(username) > 32:
            raise LoginFailed("wrong username or password")  # no account has either
        row = self._row(username)
        try:
            self.hasher.verify(row.password_hash if row else self._dummy_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            raise LoginFailed("wrong username or password") from None
        if row is None or row.disabled_at is not None:
            raise LoginFailed("wrong username or password")
        if self.hasher.check_needs_rehash(row.password_hash):  # parameters raised since
            new_hash = self.hasher.hash(password)
            self._update(username, lambda r: setattr(r, "password_hash", new_hash))
        return UserInfo.of(row)

    def unlock(self, username: str, *, actor: str) -> None:
        """Forgive ``username``'s failed logins now (audited as ``user.unlock``).

        The running daemon keeps the back-off in memory; it reads the unlock back from
        the audit (:meth:`last_unlock`), so the command works from another process.
        """
        self.user(username)  # UnknownUser
        self.store.record_audit(actor, UNLOCK, {"username": username})

    def last_unlock(self, username: str) -> datetime | None:
        """When ``username`` was last unlocked, if ever (from the audit)."""
        with self.store.reading() as session:
            rows = session.exec(
                select(AuditEntry)
                .where(col(AuditEntry.action) == UNLOCK)
                .order_by(col(AuditEntry.id).desc())
                .limit(200)
            ).all()
        return next((r.time for r in rows if r.detail.get("username") == username), None)

    # -- sessions -------------------------------------------------------------------
    def open_session(self, user: UserInfo) -> tuple[str, SessionInfo]:
        """A new session: ``(cookie value, info)``; the cookie value is not kept."""
        plaintext = new_token()
        now = self.clock.now()
        row = UserSession(
            token_hash=hash_token(plaintext),
            user_id=user.id,
            created_at=now,
            expires_at=now + ABSOLUTE,
            last_seen_at=now,
        )
        with self.store.writing() as session:
            session.add(row)
        assert row.id is not None
        return plaintext, SessionInfo(row.id, row.token_hash, user, row.expires_at)

    def session(self, plaintext: str) -> SessionInfo:
        """The live session of a cookie value; :class:`InvalidSession` if unknown, ended or idle."""
        digest = hash_token(plaintext)
        with self.store.reading() as session:
            found = session.exec(
                select(UserSession, User)
                .join(User, col(User.id) == col(UserSession.user_id))
                .where(col(UserSession.token_hash) == digest)
            ).one_or_none()
        if found is None:
            raise InvalidSession("unknown session")
        row, user = found
        now = self.clock.now()
        seen = row.last_seen_at or row.created_at
        if row.revoked_at is not None or user.disabled_at is not None:
            raise InvalidSession("session ended")
        if now >= row.expires_at or now - seen >= IDLE:
            raise InvalidSession("session expired")
        if now - seen >= TOUCH_EVERY:
            with self.store.writing() as write:
                stored = write.get(UserSession, row.id)
                if stored is not None:
                    stored.last_seen_at = now
                    write.add(stored)
        assert row.id is not None
        return SessionInfo(row.id, row.token_hash, UserInfo.of(user), row.expires_at)

    def close_session(self, plaintext: str) -> None:
        """Logout: the session ends now (unknown values are ignored)."""
        digest = hash_token(plaintext)
        with self.store.writing() as session:
            row = session.exec(
                select(UserSession).where(col(UserSession.token_hash) == digest)
            ).one_or_none()
            if row is not None and row.revoked_at is None:
                row.revoked_at = self.clock.now()
                session.add(row)

    # -- helpers --------------------------------------------------------------------
    def _row(self, username: str) -> User | None:
        with self.store.reading() as session:
            return session.exec(select(User).where(col(User.username) == username)).one_or_none()

    @staticmethod
    def _locked_row(session: Session, username: str) -> User:
        row = session.exec(select(User).where(col(User.username) == username)).one_or_none()
        if row is None:
            raise UnknownUser(f"no user {username!r}")
        return row

    @staticmethod
    def _keep_an_admin(session: Session, row: User, change: str) -> None:
        """Refuse a change that takes ``row`` out of the enabled admins if it is the last one.

        Inside the change's write transaction, so two admins demoting each other at once
        cannot both succeed.
        """
        if row.role != Role.ADMIN.value or row.disabled_at is not None:
            return
        others = session.exec(
            select(func.count())
            .select_from(User)
            .where(
                col(User.role) == Role.ADMIN.value,
                col(User.disabled_at).is_(None),
                col(User.id) != row.id,
            )
        ).one()
        if not others:
            raise LastAdmin(
                f"cannot {change}: {row.username!r} is the last enabled admin "
                "(add another admin first)"
            )

    def _update(self, username: str, change: Callable[[User], None]) -> None:
        with self.store.writing() as session:
            row = session.exec(select(User).where(col(User.username) == username)).one_or_none()
            if row is None:
                raise UnknownUser(f"no user {username!r}")
            change(row)
            session.add(row)

    def _revoke_all(self, username: str) -> None:
        user = self.user(username)
        now = self.clock.now()
        with self.store.writing() as session:
            rows = session.exec(
                select(UserSession).where(
                    col(UserSession.user_id) == user.id, col(UserSession.revoked_at).is_(None)
                )
            ).all()
            for row in rows:
                row.revoked_at = now
                session.add(row)


def check_new_password(password: str, again: str) -> None:
    """A new password typed twice: the same both times, and long enough (:class:`InvalidUser`)."""
    if password != again:
        raise InvalidUser("the two passwords differ", "password_mismatch")
    _check_password(password)


def _check_username(username: str) -> None:
    if not _USERNAME.match(username):
        raise InvalidUser(
            f"username {username!r}: 2-32 characters, lower-case letters, digits, '.', '_', '-', "
            "starting with a letter",
            "username",
        )


def _check_display_name(name: str) -> None:
    if len(name) > MAX_DISPLAY_NAME_CHARS:
        raise InvalidUser(
            f"display name: at most {MAX_DISPLAY_NAME_CHARS} characters", "display_name"
        )


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidUser(f"password: at least {MIN_PASSWORD_CHARS} characters", "password_short")
    if len(password) > MAX_PASSWORD_CHARS:
        raise InvalidUser(f"password: at most {MAX_PASSWORD_CHARS} characters", "password_long")
    if password.strip() != password:
        raise InvalidUser("password: no leading or trailing spaces", "password_spaces")


def _check_locale(locale: str) -> None:
    if locale not in LOCALES:
        raise InvalidUser(f"locale {locale!r}: one of {', '.join(LOCALES)}", "locale")


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InvalidUser(f"role {role!r}: one of admin, technician, viewer", "role") from None
