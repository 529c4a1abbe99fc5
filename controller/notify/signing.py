"""Request signatures of the chat webhooks (the services' own documented schemes)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote_plus

__all__ = ["dingtalk_sign", "feishu_sign"]


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk robot ``sign``: URL-encoded base64 of HMAC-SHA256 over
    ``"timestamp\\nsecret"`` keyed with the secret (``timestamp`` in ms since the epoch)."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu bot ``sign``: base64 of HMAC-SHA256 keyed with ``"timestamp\\nsecret"`` over
    an empty message (``timestamp`` in s since the epoch; sent in the JSON body)."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
