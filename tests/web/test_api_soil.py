"""``/api/v1/soil``: a zone's soil fit read by any role, approved by an admin only; the fit
approved must be the one shown, and bad input gets a specific error."""

from __future__ import annotations

from controller.daemon.protocol import ControlRefused
from tests.helpers.asgi import AsgiClient
from tests.helpers.fakes import SOIL_FITTED_AT, FakeControlService, soil_proposal

API = "/api/v1"
FITTED_AT = SOIL_FITTED_AT
PROPOSAL = soil_proposal()


def _approve(client: AsgiClient, token: str, body: dict[str, object], zone: str = "z1"):  # type: ignore[no-untyped-def]
    return client.post(f"{API}/soil/{zone}/approve", token=token, json=body)


def test_every_role_reads_the_fit_and_only_an_admin_approves_it(
    client: AsgiClient, tokens: dict[str, str], service: FakeControlService
) -> None:
    for role in ("viewer", "technician", "admin"):
        r = client.get(f"{API}/soil/z1", token=tokens[role])
        assert r.status_code == 200 and r.json()["proposal"]["fitted_at"] == FITTED_AT
    for role in ("viewer", "technician"):
        assert _approve(client, tokens[role], {"fitted_at": FITTED_AT}).status_code == 403
    assert not [c for c in service.calls if c[0] == "approve_soil"]
    r = _approve(client, tokens["admin"], {"fitted_at": FITTED_AT})
    assert r.status_code == 200, r.text
    assert r.json() == PROPOSAL["overrides"]
    ((_, args),) = [c for c in service.calls if c[0] == "approve_soil"]
    assert args["actor"] == "ada" and args["fitted_at"].isoformat() == FITTED_AT


def test_bad_input_gets_a_specific_error(
    client: AsgiClient, tokens: dict[str, str], service: FakeControlService
) -> None:
    admin = tokens["admin"]
    for body in ({}, {"fitted_at": "yesterday"}, {"fitted_at": "2026-07-01T17:40:00"}):
        r = _approve(client, admin, body)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "fitted_at", r.text
    r = _approve(client, admin, {"fitted_at": FITTED_AT, "kc_factor": 1.3})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "kc_factor"
    stale = _approve(client, admin, {"fitted_at": "2026-06-30T17:40:00Z"})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_proposal"
    none = _approve(client, admin, {"fitted_at": FITTED_AT}, zone="z2")
    assert none.status_code == 409 and none.json()["code"] == "no_proposal"
    unknown = _approve(client, admin, {"fitted_at": FITTED_AT}, zone="z9")
    assert unknown.status_code == 404
    assert client.get(f"{API}/soil/z9", token=admin).status_code == 404
    service.refuse = ControlRefused("the site is paused", "paused")
    assert _approve(client, admin, {"fitted_at": FITTED_AT}).status_code == 409


def _dry_down(client: AsgiClient, token: str, body: object, zone: str = "z1"):  # type: ignore[no-untyped-def]
    return client.post(f"{API}/soil/{zone}/dry-down", token=token, json=body)


def test_every_role_reads_the_dry_down_and_only_an_admin_asks_or_withdraws_it(
    client: AsgiClient, tokens: dict[str, str], service: FakeControlService
) -> None:
    for role in ("viewer", "technician"):
        r = client.get(f"{API}/soil/z1/dry-down", token=tokens[role])
        assert r.status_code == 200 and r.json()["fraction"] is None, r.text
        assert _dry_down(client, tokens[role], {"fraction": 0.8}).status_code == 403
        assert (
            client.post(f"{API}/soil/z1/dry-down/withdraw", token=tokens[role]).status_code == 403
        )
    assert not [c for c in service.calls if "dry_down" in c[0]]
    r = _dry_down(client, tokens["admin"], {"fraction": 0.8})
    assert r.status_code == 200, r.text
    assert r.json()["fraction"] == 0.8 and r.json()["phase"] == "requested"
    ((_, args),) = [c for c in service.calls if c[0] == "request_dry_down"]
    assert args == {"zone": "z1", "fraction": 0.8, "actor": "ada"}
    assert client.get(f"{API}/soil/z1/dry-down", token=tokens["viewer"]).json()["phase"] == (
        "requested"
    )
    r = client.post(f"{API}/soil/z1/dry-down/withdraw", token=tokens["admin"])
    assert r.status_code == 200, r.text
    assert r.json()["phase"] == "done" and r.json()["why"] == "withdrawn by ada"
    again = client.post(f"{API}/soil/z1/dry-down/withdraw", token=tokens["admin"])
    assert again.status_code == 409 and again.json()["code"] == "no_dry_down"


def test_a_bad_dry_down_gets_a_specific_error(
    client: AsgiClient, tokens: dict[str, str], service: FakeControlService
) -> None:
    admin = tokens["admin"]
    for body in ({}, {"fraction": 0.5}, {"fraction": 0.9}, {"fraction": "0.8"}, {"fraction": None}):
        r = _dry_down(client, admin, body)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "fraction", r.text
    r = _dry_down(client, admin, {"fraction": 0.8, "zone": "z2"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "zone"
    assert _dry_down(client, admin, {"fraction": 0.8}, zone="z9").status_code == 404
    assert client.get(f"{API}/soil/z9/dry-down", token=admin).status_code == 404
    assert client.post(f"{API}/soil/z9/dry-down/withdraw", token=admin).status_code == 404
    service.refuse = ControlRefused("settings cannot be saved: no data directory", "no_data_dir")
    r = _dry_down(client, admin, {"fraction": 0.8})
    assert r.status_code == 409 and r.json()["code"] == "no_data_dir"
    assert not [c for c in service.calls if c[0] == "request_dry_down"]
