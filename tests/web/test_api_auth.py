"""Who may do what: every route is walked with no token, each role, bad tokens."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from controller.store import Store
from tests.helpers.api import API, ROUTES, TOKEN_NAMES
from tests.helpers.asgi import AsgiClient, asgi_client
from tests.helpers.fakes import CANOPY_PHOTO, FakeControlService, dry_down
from tests.helpers.photos import png_bytes
from web.app import create_app

PUBLIC = {("GET", "/openapi.json"), ("GET", "/docs")}
RANK = {"viewer": 0, "technician": 1, "admin": 2}

PATH_VALUES = {
    "zone": "z1",
    "alarm_id": "1",
    "table": "readings",
    "probe": "probe1a",
    "observation_id": "1",
}
BODIES: dict[str, Any] = {
    "/zones/{zone}/start": {"minutes": 10},
    "/export/{table}/ack": {"last_id": 0},
    "/pause": {"hours": 2},
    "/probes/{probe}/samples": {"theta_pct": 24.0, "raw_pct": 27.0},
    "/forecast": {"days": [{"date": "2026-05-15", "et0_mm": 6.0, "rain_mm": 0.0}]},
    "/soil/{zone}/approve": {"fitted_at": "2026-07-01T17:40:00+00:00"},
    "/soil/{zone}/dry-down": {"fraction": 0.8},
    "/zones/{zone}/observations": {"stage": "V6", "observed_on": "2026-05-12"},
}
# routes whose body is not JSON: (content type, body)
RAW_BODIES: dict[str, tuple[str, bytes]] = {
    "/zones/{zone}/canopy/photo": ("image/jpeg", CANOPY_PHOTO.read_bytes()),
}


def _api_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) the app answers: ``app.routes`` with included routers opened."""
    found = []
    for route in iter_route_contexts(app.routes):
        assert route.path is not None, route
        for method in sorted((route.methods or set()) - {"HEAD"}):
            found.append((method, route.path))
    return found


def _call(client: AsgiClient, method: str, template: str, token: str | None) -> Any:
    suffix = template.removeprefix(API)
    path = template.format(**PATH_VALUES)
    if method == "GET":
        return client.get(path, token=token)
    if suffix in RAW_BODIES:
        media, content = RAW_BODIES[suffix]
        return client.post(path, token=token, content=content, headers={"content-type": media})
    return client.post(path, token=token, json=BODIES.get(suffix))


def _audit(store: Store) -> list[Any]:
    return [row for row in store.rows_after("audit", 0) if row.action == "api.refused"]  # type: ignore[attr-defined]


def test_route_table_is_complete(app: FastAPI) -> None:
    found = set(_api_routes(app))
    expected = {(m, API + p) for m, p in ROUTES} | PUBLIC
    assert found == expected


def test_every_route_refuses_anonymous_and_checks_roles(
    app: FastAPI,
    client: AsgiClient,
    tokens: dict[str, str],
    store: Store,
    service: FakeControlService,
) -> None:
    # observation 1, with a photo, for the photo route
    service.add_crop_observation("z1", "VE", date(2026, 5, 1), "", png_bytes(), "seed")
    service.dry_downs["z1"] = dry_down(0.8, "holding")  # for the withdraw route
    for method, template in _api_routes(app):
        if (method, template) in PUBLIC:
            assert _call(client, method, template, None).status_code == 200
            continue
        minimum = ROUTES[(method, template.removeprefix(API))]
        if minimum == "viewer" and method == "POST":
            # A reader's own bookkeeping (export acknowledgements): viewers may post it.
            assert _call(client, method, template, None).status_code == 401, (method, template)
            ok = _call(client, method, template, tokens["viewer"])
            assert ok.status_code in (200, 204), (method, template, ok.text)
            continue
        assert (method == "GET") == (minimum == "viewer"), (method, template)

        anonymous = _call(client, method, template, None)
        assert anonymous.status_code == 401, (method, template)
        assert anonymous.headers["www-authenticate"] == "Bearer"

        calls_before = len(service.calls)
        viewer = _call(client, method, template, tokens["viewer"])
        if method == "GET":
            assert viewer.status_code == 200, (method, template, viewer.text)
            continue
        below = [r for r in ("viewer", "technician") if RANK[r] < RANK[minimum]]
        for role in below:
            refused_call = _call(client, method, template, tokens[role])
            assert refused_call.status_code == 403, (role, method, template)
            assert f"{minimum} required" in refused_call.json()["detail"]
            assert len(service.calls) == calls_before, "a refused command reached the service"
            refused = _audit(store)[-1]
            assert refused.actor == TOKEN_NAMES[role]
            assert refused.detail == {
                "method": "POST",
                "path": template.format(**PATH_VALUES),
                "role": role,
                "required": minimum,
            }

        for role in [r for r in ("technician", "admin") if RANK[r] >= RANK[minimum]]:
            if template.endswith("/observations/{observation_id}/delete"):  # one each to delete
                made = service.add_crop_observation("z1", "V6", date(2026, 5, 12), "", None, "s")
                path = template.format(**PATH_VALUES | {"observation_id": str(made.id)})
                allowed = client.post(path, token=tokens[role])
            else:
                allowed = _call(client, method, template, tokens[role])
            assert allowed.status_code in (200, 201, 204), (role, method, template, allowed.text)
            assert service.calls[-1][1]["actor"] == TOKEN_NAMES[role]


def test_control_commands_are_not_audited_as_refused_when_allowed(
    client: AsgiClient, tokens: dict[str, str], store: Store
) -> None:
    assert client.post(f"{API}/resume", token=tokens["technician"]).status_code == 204
    assert _audit(store) == []


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer not-a-token",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "bearer",
        "Token abc",
        "Bearer " + "x" * 10_000,
    ],
)
def test_wrong_token_is_401(client: AsgiClient, authorization: str) -> None:
    r = client.get(f"{API}/status", headers={"authorization": authorization})
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert "detail" in r.json()


def test_revoked_token_is_401(client: AsgiClient, store: Store) -> None:
    token_id, plaintext = store.create_token("leaver", "technician")
    assert client.get(f"{API}/status", token=plaintext).status_code == 200
    store.revoke_token(token_id)
    r = client.post(f"{API}/stop-all", token=plaintext)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"


def test_scheme_is_case_insensitive(client: AsgiClient, tokens: dict[str, str]) -> None:
    r = client.get(f"{API}/status", headers={"authorization": f"bearer {tokens['viewer']}"})
    assert r.status_code == 200


def test_host_check(service: FakeControlService, store: Store, tokens: dict[str, str]) -> None:
    app = create_app(service, store, allowed_hosts=["qanat.local", "192.168.1.20"])
    with asgi_client(app, host="qanat.local") as good:
        assert good.get(f"{API}/status", token=tokens["viewer"]).status_code == 200
    with asgi_client(app, host="evil.example") as bad:
        assert bad.get(f"{API}/status", token=tokens["viewer"]).status_code == 400


def test_any_host_by_default(client: AsgiClient, tokens: dict[str, str]) -> None:
    r = client.get(f"{API}/status", token=tokens["viewer"], headers={"host": "anything:8080"})
    assert r.status_code == 200


def test_no_cors_headers(client: AsgiClient, tokens: dict[str, str]) -> None:
    r = client.get(
        f"{API}/status", token=tokens["viewer"], headers={"origin": "http://elsewhere.example"}
    )
    assert not any(name.startswith("access-control-") for name in r.headers)
    preflight = client.request(
        "OPTIONS",
        f"{API}/stop-all",
        headers={"origin": "http://elsewhere.example", "access-control-request-method": "POST"},
    )
    assert preflight.status_code == 405
    assert not any(name.startswith("access-control-") for name in preflight.headers)
