"""API tokens: generated here, shown once, kept only as a hash.

A token is ``secrets.token_urlsafe(32)``: 256 random bits. The store keeps
``sha256(token)`` and looks tokens up by that hash. A slow, salted password
hash (scrypt, argon2) exists to make guessing *low-entropy human passwords*
expensive; against 256 random bits guessing is already hopeless, and a salt
adds nothing because no two tokens share a value and no precomputed table
can cover 2**256 inputs. A fast unsalted hash therefore keeps the same
security while allowing an indexed lookup and costing microseconds per API
request on a Raspberry Pi. A stolen database gives hashes, not tokens.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from controller.store.tables import ApiToken, Role

__all__ = ["TokenInfo", "hash_token", "new_token"]

TOKEN_BYTES = 32  # 256 bits of randomness


def new_token() -> str:
    """A fresh random token (URL-safe text, 43 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(plaintext: str) -> str:
    """The stored form of a token: hex SHA-256 of its UTF-8 text."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What a verified token grants; never the token itself."""

    id: int
    name: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, row: ApiToken) -> TokenInfo:
        assert row.id is not None
        return cls(
            id=row.id,
            name=row.name,
            role=Role(row.role),
            created_at=row.created_at,
            revoked_at=row.revoked_at,
            last_used_at=row.last_used_at,
        )
