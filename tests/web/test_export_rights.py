"""Who reads which audit rows, and acknowledgements that cannot hold the box's cleanup back."""

from __future__ import annotations

import json

import pytest

from controller.store import Store
from tests.helpers.asgi import AsgiClient

API = "/api/v1"
SECURITY = ["login.failed", "login.limited", "api.refused", "user.add", "token.create", "logout"]
OPERATIONS = ["start", "alarm.ack", "settings.change"]


@pytest.fixture
def audit(store: Store) -> None:
    store.record_audit("hunter2-typed-as-name", "login.failed", {"address": "10.0.0.9"})
    for action in SECURITY[1:]:
        store.record_audit("someone", action, {})
    for action in OPERATIONS:
        store.record_audit("tian", action, {})


def _actions(body: bytes, fmt: str = "ndjson") -> list[str]:
    if fmt == "csv":
        header, *lines = body.decode().splitlines()
        at = header.split(",").index("action")
        return [line.split(",")[at] for line in lines]
    return [json.loads(line)["action"] for line in body.decode().split("\n") if line]


@pytest.mark.parametrize("fmt", ["ndjson", "csv"])
@pytest.mark.parametrize("role", ["viewer", "technician"])
def test_non_admins_read_the_audit_without_security_events(
    client: AsgiClient, tokens: dict[str, str], audit: None, role: str, fmt: str
) -> None:
    r = client.get(f"{API}/export/audit", params={"format": fmt}, token=tokens[role])
    assert r.status_code == 200
    assert _actions(r.content, fmt) == OPERATIONS
    assert b"hunter2" not in r.content
    assert r.headers["x-last-id"] == str(len(SECURITY) + len(OPERATIONS))  # the cursor covers all


def test_admins_read_the_whole_audit(
    client: AsgiClient, tokens: dict[str, str], audit: None
) -> None:
    r = client.get(f"{API}/export/audit", token=tokens["admin"])
    assert _actions(r.content) == SECURITY + OPERATIONS


def test_re_reading_audit_rows_by_id_is_filtered_too(
    client: AsgiClient, tokens: dict[str, str], audit: None
) -> None:
    r = client.get(f"{API}/export/audit", params={"ids": "1,7"}, token=tokens["viewer"])
    assert _actions(r.content) == ["start"]


def test_other_tables_are_not_filtered(
    client: AsgiClient, tokens: dict[str, str], store: Store
) -> None:
    store.raise_event("warning", "device_offline", "relay1", "login.failed: not an audit row")
    r = client.get(f"{API}/export/events", token=tokens["viewer"])
    assert r.status_code == 200 and r.content.count(b"\n") == 1


def _ack(client: AsgiClient, token: str, last_id: int, table: str = "audit") -> int:
    return client.post(
        f"{API}/export/{table}/ack", json={"last_id": last_id}, token=token
    ).status_code


def test_an_acknowledgement_never_moves_a_cursor_back(
    client: AsgiClient, tokens: dict[str, str], audit: None
) -> None:
    office = tokens["viewer"]
    assert _ack(client, office, 5) == 200
    assert _ack(client, office, 5) == 200  # the same again: fine
    r = client.post(f"{API}/export/audit/ack", json={"last_id": 0}, token=office)
    assert r.status_code == 409
    assert "does not move back" in r.json()["detail"]
    assert _ack(client, office, 9) == 200


def test_a_new_reader_cannot_hold_the_cleanup_back(
    client: AsgiClient, tokens: dict[str, str], audit: None, store: Store
) -> None:
    """The red-team case: any viewer token acknowledging 0 kept retention from purging."""
    assert _ack(client, tokens["viewer"], 8) == 200  # the office
    r = client.post(f"{API}/export/audit/ack", json={"last_id": 0}, token=tokens["technician"])
    assert r.status_code == 409
    assert "new reader starts at 8" in r.json()["detail"]
    assert store.export_acked()["audit"] == 8
    assert _ack(client, tokens["technician"], 9) == 200  # a second office, caught up
    assert store.export_acked()["audit"] == 8
