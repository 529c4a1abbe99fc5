"""The authorisation matrix, generated: every route of the app × every role, against one table.

:data:`RULES` declares, for each (method, path) the app answers, the lowest role let
through (``public`` for everyone). The walk over the app's own route table checks the
table both ways: a new route without a rule fails :func:`test_every_route_has_a_rule`.
Then every route is called as each of anonymous, viewer, technician and admin, and
the outcome must be the rule's:

* API: anonymous 401 (``WWW-Authenticate: Bearer``), a role too low 403, else 2xx;
* pages: anonymous GET → the login page (303), anonymous POST 401, a role too low 403
  (audited as ``page.refused``), else 200 (GET) or 303 (POST);
* every state-changing page route refuses a post without this session's CSRF token
  (403, nothing changed) before its allowed call is made.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.routing import BaseRoute, Mount
from starlette.testclient import TestClient

from controller.store import Store
from tests.helpers.api import API, ROUTES
from tests.helpers.fakes import CANOPY_PHOTO, SOIL_FITTED_AT, dry_down
from tests.helpers.figures import Figures
from tests.helpers.pages import (
    PASSWORD,
    PLAN,
    RECIPES,
    USERS,
    PageService,
    audit_rows,
    csrf_of,
    login,
    page_client,
)
from tests.helpers.photos import png_bytes

RANK = {"anonymous": -1, "viewer": 0, "technician": 1, "admin": 2, "public": -1}
ROLES = ("anonymous", "viewer", "technician", "admin")
NEW_PASSWORD = "another good password"

# The API's rules are the API's own table (tests/helpers/api.py), prefixed.
RULES: dict[tuple[str, str], str] = {(m, API + p): role for (m, p), role in ROUTES.items()}
RULES |= {
    ("GET", "/openapi.json"): "public",
    ("GET", "/docs"): "public",
    ("GET", "/static"): "public",
    ("GET", "/login"): "public",
    ("GET", "/board"): "public",  # when the site makes it public (else 404: test_board.py)
    ("GET", "/favicon.ico"): "public",  # the pages' icon (test_icon.py)
    ("POST", "/login"): "public",
    ("POST", "/lang"): "public",
    ("POST", "/logout"): "viewer",
    ("GET", "/"): "viewer",
    ("GET", "/fragments/overview"): "viewer",
    ("GET", "/zones/{name}"): "viewer",
    ("GET", "/zones/{name}/chart.json"): "viewer",
    ("GET", "/zones/{name}/crop"): "viewer",
    ("POST", "/zones/{name}/observations"): "technician",
    ("POST", "/zones/{name}/observations/{observation_id}/delete"): "technician",
    ("GET", "/zones/{name}/observations/{observation_id}/photo"): "viewer",
    ("GET", "/zones/{name}/canopy/photo"): "viewer",
    ("POST", "/zones/{name}/start"): "technician",
    ("POST", "/zones/{name}/stop"): "technician",
    ("POST", "/stop-all"): "technician",
    ("POST", "/pause"): "technician",
    ("POST", "/resume"): "technician",
    ("POST", "/clock/confirm"): "admin",
    ("GET", "/alarms"): "viewer",
    ("GET", "/alarms/{alarm_id}"): "viewer",
    ("POST", "/alarms/{alarm_id}/ack"): "technician",
    ("GET", "/devices"): "viewer",
    ("GET", "/probes"): "viewer",
    ("POST", "/probes/samples"): "technician",
    ("GET", "/soil"): "viewer",
    ("POST", "/soil/{zone}/approve"): "admin",
    ("POST", "/soil/{zone}/dry-down"): "admin",
    ("POST", "/soil/{zone}/dry-down/withdraw"): "admin",
    ("GET", "/settings"): "viewer",
    ("POST", "/settings/zones/{name}"): "admin",
    ("POST", "/settings/policy"): "admin",
    ("POST", "/settings/crops/{crop}/stages"): "admin",
    ("POST", "/settings/fertigation/events"): "admin",
    ("POST", "/settings/fertigation/events/{number}"): "admin",
    ("POST", "/settings/fertigation/events/{number}/delete"): "admin",
    ("POST", "/settings/fertigation/recipes"): "admin",
    ("POST", "/settings/fertigation/recipes/{number}"): "admin",
    ("POST", "/settings/fertigation/recipes/{number}/delete"): "admin",
    ("GET", "/users"): "admin",
    ("POST", "/users"): "admin",
    ("POST", "/users/{username}/role"): "admin",
    ("POST", "/users/{username}/disable"): "admin",
    ("POST", "/users/{username}/enable"): "admin",
    ("POST", "/users/{username}/password"): "admin",
}

VALUES = {
    "zone": "z1",
    "name": "z2",
    "alarm_id": "1",
    "table": "readings",
    "number": "1",
    "username": "wei",
    "crop": "seed_corn",
    "probe": "probe1a",
    "observation_id": "1",
}
CONCRETE = {
    "/static": "/static/app.css",
    "/settings/zones/{name}": "/settings/zones/z1",
    "/zones/{name}/canopy/photo": "/zones/z1/canopy/photo",  # z1 has the camera
}
# An allowed call of these sends this content type and body.
RAW_BODIES = {f"{API}/zones/{{zone}}/canopy/photo": ("image/jpeg", CANOPY_PHOTO.read_bytes())}
# What an allowed call sends: a JSON body (API) or a form (pages) that is accepted.
BODIES: dict[str, Any] = {
    f"{API}/zones/{{zone}}/start": {"minutes": 10},
    f"{API}/export/{{table}}/ack": {"last_id": 0},
    f"{API}/pause": {"hours": 2},
    f"{API}/probes/{{probe}}/samples": {"theta_pct": 24.0, "raw_pct": 27.0},
    f"{API}/forecast": {"days": [{"date": "2026-05-15", "et0_mm": 6.0, "rain_mm": 0.0}]},
    f"{API}/soil/{{zone}}/approve": {"fitted_at": SOIL_FITTED_AT},
    f"{API}/soil/{{zone}}/dry-down": {"fraction": 0.8},
    f"{API}/zones/{{zone}}/observations": {"stage": "V6", "observed_on": "2026-05-12"},
    "/zones/{name}/observations": {"stage": "V6", "observed_on": "2026-05-12"},
    "/soil/{zone}/approve": {"fitted_at": SOIL_FITTED_AT},
    "/soil/{zone}/dry-down": {"fraction": "0.8"},
    "/login": {"username": "tian", "password": PASSWORD},
    "/lang": {"lang": "en", "next": "/"},
    "/zones/{name}/start": {"minutes": "10"},
    "/pause": {"hours": "2"},
    "/probes/samples": {"probe": "probe1a", "theta_pct": "24", "raw_pct": "27"},
    "/settings/zones/{name}": {"crop": "seed_corn", "planting_date": "2026-04-21", "mode": "et"},
    "/settings/policy": {"probe_weight": "0.4", "rain_skip_mm": "6"},
    "/settings/crops/{crop}/stages": {"mad:ripening": "0.6"},
    "/settings/fertigation/events": {"label": "追肥", "day_after_planting": "50", "n_kg_mu": "2"},
    "/settings/fertigation/events/{number}": {
        "label": "拔节肥",
        "day_after_planting": "36",
        "n_kg_mu": "1.5",
    },
    "/settings/fertigation/events/{number}/delete": {},
    "/settings/fertigation/recipes": {"name": "tassel", "amount:N": "1", "unit:N": "kg_mu"},
    "/settings/fertigation/recipes/{number}": {"name": "rig", "amount:N": "1", "unit:N": "l_m3"},
    "/settings/fertigation/recipes/{number}/delete": {},
    "/users": {
        "username": "zhao",
        "role": "viewer",
        "password": NEW_PASSWORD,
        "password_again": NEW_PASSWORD,
    },
    "/users/{username}/role": {"role": "technician"},
    "/users/{username}/password": {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
}
PUBLIC_POSTS = {"/login", "/lang"}


def _walk(routes: list[BaseRoute], prefix: str = "") -> set[tuple[str, str]]:
    """Every (method, path template) of a route table, included routers and mounts opened
    (a static mount is one GET)."""
    found: set[tuple[str, str]] = set()
    for route in routes:
        if isinstance(route, Mount):
            inner = getattr(route.app, "routes", None)
            if inner is None:  # static files
                found.add(("GET", prefix + route.path))
            else:
                found |= _walk(list(inner), prefix + route.path)
            continue
        for context in iter_route_contexts([route]):
            if isinstance(context.route, Mount):
                found |= _walk([context.route], prefix)
                continue
            assert context.path is not None, context
            for method in (context.methods or {"GET"}) - {"HEAD"}:
                found.add((method, prefix + context.path))
    return found


def test_every_route_has_a_rule(app: FastAPI) -> None:
    app_routes = _walk(list(app.routes))
    assert app_routes - set(RULES) == set(), "routes without a rule: add them to RULES"
    assert set(RULES) - app_routes == set(), "rules of routes that no longer exist"


def _client(app: FastAPI, role: str, store: Store) -> tuple[TestClient, dict[str, str]]:
    """A browser logged in as ``role`` (none for anonymous) and its API headers."""
    client = page_client(app).__enter__()
    headers: dict[str, str] = {}
    if role != "anonymous":
        assert login(client, USERS[role]).status_code == 303
        headers["authorization"] = f"Bearer {store.create_token(f'{role}-token', role)[1]}"
    return client, headers


def _form(client: TestClient, role: str, template: str, with_csrf: bool = True) -> dict[str, str]:
    form = dict(BODIES.get(template, {}))
    if template.startswith("/settings/fertigation/recipes"):
        form["recipes"] = RECIPES
    elif template.startswith("/settings/fertigation"):
        form["plan"] = PLAN
    if template == "/login":
        found = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
        assert found is not None
        form["csrf"] = found[1]
    elif role != "anonymous" and with_csrf:
        form["csrf"] = csrf_of(client)
    return form


def _call(
    client: TestClient, headers: dict[str, str], role: str, method: str, template: str, **kw: Any
) -> Any:
    path = CONCRETE.get(template) or template.format(**VALUES)
    if method == "GET":
        return client.get(path, headers=headers)
    if template in RAW_BODIES:  # a body that is not JSON (a photo)
        media, content = RAW_BODIES[template]
        return client.post(path, headers={**headers, "content-type": media}, content=content)
    if template.startswith(API):
        return client.post(path, headers=headers, json=BODIES.get(template))
    return client.post(path, data=_form(client, role, template, **kw))


def _changes(service: PageService, store: Store) -> int:
    return len([c for c in service.calls if "actor" in c[1]]) + len(
        [a for a in audit_rows(store) if a.action.startswith(("user.", "settings"))]
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "template"), sorted(RULES))
def test_each_route_answers_each_role_by_its_rule(
    app: FastAPI,
    store: Store,
    service: PageService,
    method: str,
    template: str,
    role: str,
    figures: Figures,
) -> None:
    figures.add("authz_cases")
    figures.add("authz_violations")  # taken back once every check below held
    rule = RULES[(method, template)]
    allowed = RANK[role] >= RANK[rule]
    if "{observation_id}" in template:  # observation 1 of the zone asked, with a photo
        zone = VALUES["zone" if template.startswith(API) else "name"]
        service.add_crop_observation(zone, "VE", date(2026, 5, 1), "", png_bytes(), "seed")
    if template.endswith("/dry-down/withdraw"):  # a dry-down of the zone to withdraw
        service.dry_downs[VALUES["zone"]] = dry_down(0.8, "holding")
    client, headers = _client(app, role, store)
    try:
        is_api = template.startswith(API)
        state_changing = method == "POST" and not is_api and template not in PUBLIC_POSTS
        if allowed and state_changing:
            before = _changes(service, store)
            forged = _call(client, headers, role, method, template, with_csrf=False)
            assert forged.status_code == 403, "a post without the CSRF token was served"
            assert _changes(service, store) == before
        response = _call(client, headers, role, method, template)
    finally:
        client.__exit__(None, None, None)
    code = response.status_code
    if allowed:
        expected = {"GET": {200}, "POST": {200, 201, 204} if is_api else {303}}[method]
        assert code in expected, (code, response.text[:300])
    elif role == "anonymous" and is_api:
        assert code == 401 and response.headers["www-authenticate"] == "Bearer"
    elif role == "anonymous" and method == "GET":
        assert code == 303 and response.headers["location"].startswith("/login?next=")
    elif role == "anonymous":
        assert code == 401
    else:
        assert code == 403, (code, response.text[:300])
        refused = [a for a in audit_rows(store) if a.action in ("api.refused", "page.refused")]
        assert refused and refused[-1].detail["required"] == rule
    figures.add("authz_violations", -1)
