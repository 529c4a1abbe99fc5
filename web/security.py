"""Guards of the pages: CSRF tokens, the box secret, Host and Origin checks, headers.

* CSRF: every state-changing form carries ``HMAC-SHA256(box secret, session hash)``;
  a page POST without it (or with another session's) is refused. The box secret
  (32 random bytes) lives in ``<data dir>/web-secret`` (mode 0600) so tokens survive
  a restart; without a data dir it is random per process.
* DNS rebinding: a page request must name this box in ``Host``: an IP address,
  ``localhost``, or one of the configured allowed hosts. A rebinding attack needs
  a DNS name of the attacker's, which is none of these.
* Cross-site POSTs: ``Origin`` (or, failing that, ``Referer``) must be this box.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

__all__ = [
    "CSP",
    "HostPolicy",
    "csrf_token",
    "csrf_valid",
    "load_box_secret",
    "same_origin",
]

SECRET_FILE = "web-secret"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'"
)


def load_box_secret(data_dir: Path | None) -> bytes:
    """The per-box secret keying CSRF tokens, created on first use (0600)."""
    if data_dir is None:
        return secrets.token_bytes(32)
    path = data_dir / SECRET_FILE
    try:
        secret = path.read_bytes()
        if len(secret) >= 32:
            return secret
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(secret)
    return secret


def csrf_token(secret: bytes, session_hash: str) -> str:
    """The CSRF token of one session (hex HMAC-SHA256); the same for the session's life."""
    return hmac.new(secret, session_hash.encode("ascii"), hashlib.sha256).hexdigest()


def csrf_valid(secret: bytes, session_hash: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(csrf_token(secret, session_hash), sent or "")


def _hostname(host_header: str) -> str:
    """``Host`` without the port (``[::1]:8080`` → ``::1``)."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class HostPolicy:
    """Which ``Host`` names the pages answer: IP literals, localhost, and ``allowed``.

    ``allowed`` entries are names (``qanat.local``) or ``*.`` wildcards (``*.farm.lan``).
    """

    def __init__(self, allowed: Sequence[str] | None = None) -> None:
        self.allowed = [a.lower() for a in (allowed or []) if a != "*"]

    def accepts(self, host_header: str | None) -> bool:
        if not host_header:
            return False
        name = _hostname(host_header)
        if name == "localhost":
            return True
        try:
            ipaddress.ip_address(name)
            return True
        except ValueError:
            pass
        for allowed in self.allowed:
            if name == allowed or (allowed.startswith("*.") and name.endswith(allowed[1:])):
                return True
        return False


def same_origin(host_header: str | None, origin: str | None, referer: str | None) -> bool:
    """Whether a POST comes from a page of this box (``Origin``, else ``Referer``)."""
    if not host_header:
        return False
    source = origin if origin and origin != "null" else referer
    if not source:
        return False
    return urlsplit(source).netloc.lower() == host_header.strip().lower()
