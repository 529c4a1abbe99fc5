"""The pages over the real app, a real store and a fake service: access, CSRF, sessions, audit.

The app and the logged-in clients: ``tests/web/pages/conftest.py``; the users, the page
service and the form helpers: :mod:`tests.helpers.pages`.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.testclient import TestClient

from controller.access.accounts import IDLE, Accounts
from controller.clock import VirtualClock
from controller.store import Store
from tests.helpers.fakes import SOIL_FITTED_AT
from tests.helpers.pages import (
    BASE,
    FAST,
    PASSWORD,
    PLAN,
    USERS,
    PageService,
    audit_rows,
    csrf_of,
    login,
)
from web.pages import ROUTERS

# Every state-changing page route with a form that would be accepted.
NEW_PASSWORD = "another good password"
POSTS = {
    "/zones/z2/start": {"minutes": "10"},
    "/zones/z2/stop": {},
    "/zones/z2/observations": {"stage": "V6", "observed_on": "2026-05-12"},
    "/zones/z2/observations/1/delete": {},
    "/stop-all": {},
    "/pause": {"hours": "2"},
    "/resume": {},
    "/clock/confirm": {},
    "/alarms/1/ack": {},
    "/probes/samples": {"probe": "probe1a", "theta_pct": "24", "raw_pct": "27"},
    "/soil/z1/approve": {"fitted_at": SOIL_FITTED_AT},
    "/soil/z1/dry-down": {"fraction": "0.8"},
    "/soil/z1/dry-down/withdraw": {},
    "/settings/zones/z1": {"crop": "seed_corn", "planting_date": "2026-04-21", "mode": "et"},
    "/settings/policy": {"probe_weight": "0.4", "rain_skip_mm": "6"},
    "/settings/crops/seed_corn/stages": {"mad:ripening": "0.6"},
    "/settings/fertigation/events": {
        "label": "追肥",
        "day_after_planting": "50",
        "n_kg_mu": "2",
        "plan": PLAN,
    },
    "/settings/fertigation/events/1": {
        "label": "拔节肥",
        "day_after_planting": "36",
        "n_kg_mu": "1.5",
        "plan": PLAN,
    },
    "/settings/fertigation/events/2/delete": {"plan": PLAN},
    "/settings/fertigation/recipes": {"name": "jointing", "ec_ms_cm": "1.8", "recipes": PLAN},
    "/settings/fertigation/recipes/1": {"name": "jointing", "ec_ms_cm": "1.6", "recipes": PLAN},
    "/settings/fertigation/recipes/1/delete": {"recipes": PLAN},
    "/users": {
        "username": "zhao",
        "role": "viewer",
        "password": NEW_PASSWORD,
        "password_again": NEW_PASSWORD,
    },
    "/users/wei/role": {"role": "technician"},
    "/users/wei/disable": {},
    "/users/wei/enable": {},
    "/users/wei/password": {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
    "/logout": {},
}
ADMIN_ONLY = {p for p in POSTS if p.startswith(("/settings/", "/users", "/clock/", "/soil/"))}
OPEN_TO_ALL = {"/logout"}  # any logged-in user may end their own session


def test_every_page_post_route_is_covered() -> None:
    """A new state-changing route must join the walk below."""
    posts = {
        r.path
        for router in ROUTERS
        for r in router.routes
        if isinstance(r, APIRoute) and r.methods & {"POST", "PUT", "PATCH", "DELETE"}
    }
    walked = {
        re.sub(r"z\d|\d+|(?<=^/users/)[a-z]+|(?<=^/settings/crops/)[a-z_]+", "{x}", p)
        for p in POSTS
    }
    assert {re.sub(r"\{[a-z_]+\}", "{x}", p) for p in posts} == walked | {"/login", "/lang"}


@pytest.mark.parametrize("path", sorted(POSTS))
def test_anonymous_posts_are_refused(
    anon: TestClient, path: str, service: PageService, store: Store
) -> None:
    assert anon.post(path, data=POSTS[path]).status_code == 401
    assert effects(service, store) == []


@pytest.mark.parametrize("path", sorted(set(POSTS) - OPEN_TO_ALL))
def test_viewers_cannot_change_anything(
    as_role: Any, path: str, service: PageService, store: Store
) -> None:
    viewer = as_role("viewer")
    data = {**POSTS[path], "csrf": csrf_of(viewer)}
    assert viewer.post(path, data=data).status_code == 403
    assert effects(service, store) == []


@pytest.mark.parametrize("path", sorted(ADMIN_ONLY))
def test_technicians_cannot_change_settings_or_users(
    as_role: Any, path: str, service: PageService, store: Store
) -> None:
    tech = as_role("technician")
    assert tech.post(path, data={**POSTS[path], "csrf": csrf_of(tech)}).status_code == 403
    assert service.saved == [] and effects(service, store) == []


@pytest.mark.parametrize("path", sorted(POSTS))
@pytest.mark.parametrize("token", ["", "0" * 64])
def test_a_missing_or_wrong_csrf_token_is_refused(
    as_role: Any, path: str, token: str, service: PageService, store: Store
) -> None:
    admin = as_role("admin")
    data = {**POSTS[path], **({"csrf": token} if token else {})}
    assert admin.post(path, data=data).status_code == 403
    assert effects(service, store) == []


def test_a_post_from_another_origin_is_refused(as_role: Any, service: PageService) -> None:
    tech = as_role("technician")
    data = {"minutes": "10", "csrf": csrf_of(tech)}
    response = tech.post("/zones/z2/start", data=data, headers={"origin": "http://evil.example"})
    assert response.status_code == 403
    assert changes(service) == []


# The recipe forms need a site with dosing channels, which the stand-in service here has
# not: an admin's add, edit and delete with their audit are in test_pages_recipes_edit.py,
# on the daemon's own service.
RECIPE_POSTS = {p for p in POSTS if p.startswith("/settings/fertigation/recipes")}


@pytest.mark.parametrize("path", sorted(set(POSTS) - {"/logout"} - RECIPE_POSTS))
def test_the_right_role_with_its_token_is_served(
    as_role: Any, path: str, service: PageService, store: Store
) -> None:
    who = as_role("admin" if path in ADMIN_ONLY else "technician")
    response = who.post(path, data={**POSTS[path], "csrf": csrf_of(who)})
    assert response.status_code == 303, response.text
    done = effects(service, store)
    assert done, "nothing was changed"
    actor = USERS["admin" if path in ADMIN_ONLY else "technician"]
    assert done[-1][1].get("actor") == actor


def test_the_users_page_is_for_admins(as_role: Any, anon: TestClient) -> None:
    assert anon.get("/users").status_code == 303
    for role in ("viewer", "technician"):
        client = as_role(role)
        assert client.get("/users").status_code == 403
        assert 'href="/users"' not in client.get("/").text
    admin = as_role("admin")
    assert admin.get("/users").status_code == 200
    assert 'href="/users"' in admin.get("/").text


def test_start_reports_the_valve_state_read_back(as_role: Any, service: PageService) -> None:
    tech = as_role("technician")
    tech.post(
        "/zones/z1/start",
        data={"minutes": "10", "csrf": csrf_of(tech)},
        headers={"referer": f"{BASE}/"},
    )
    page = tech.get("/")
    assert "设备回读阀门已打开" in page.text  # z1 reads back open in the fake
    assert "设备回读" not in tech.get("/").text  # the message is shown once


def test_pages_need_a_login(anon: TestClient) -> None:
    for path in ("/", "/zones/z1", "/alarms", "/devices", "/settings", "/fragments/overview"):
        response = anon.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")


def test_viewer_reads_every_page_in_chinese(as_role: Any) -> None:
    viewer = as_role("viewer")
    for path in (
        "/",
        "/zones/z1",
        "/alarms",
        "/alarms/1",
        "/devices",
        "/settings",
        "/fragments/overview",
    ):
        response = viewer.get(path)
        assert response.status_code == 200, path
    overview = viewer.get("/").text
    assert "阀门开" in overview and "剩余" in overview and "m³/亩" in overview
    assert "开始灌溉" not in overview  # a viewer gets no control buttons
    chart = viewer.get("/zones/z1/chart.json", params={"range": "season"}).json()
    assert chart["moisture"]["0.2"]["v"] == [23.5, 23.0]


def test_language_switch_is_kept_on_the_user(as_role: Any, store: Store) -> None:
    tech = as_role("technician")
    response = tech.post("/lang", data={"lang": "en", "next": "/", "csrf": csrf_of(tech)})
    assert response.status_code == 303
    page = tech.get("/").text
    assert "valve open" in page and "m³/mu" in page
    assert Accounts(store, hasher=FAST).user("tian").locale == "en"


def test_failed_logins_are_slowed_with_429(anon: TestClient, store: Store) -> None:
    codes = [login(anon, "tian", "wrong password!").status_code for _ in range(5)]
    assert codes == [401] * 4 + [429]  # three free failures; the fourth makes the next wait
    assert login(anon, "tian").status_code == 429  # even the right password, for a moment
    actions = [a.action for a in audit_rows(store)]
    assert actions.count("login.failed") == 4 and "login.limited" in actions


def test_a_refused_login_keeps_the_username_typed_not_the_password(anon: TestClient) -> None:
    """A mistyped password on a phone: the name comes back in its field, the password
    field is empty and the password is nowhere in the page."""
    response = login(anon, "tian", "wrong password!")
    assert response.status_code == 401 and 'id="login-error"' in response.text
    assert '<input name="username" value="tian"' in response.text
    assert "wrong password!" not in response.text


def test_login_without_the_form_token_is_refused(anon: TestClient) -> None:
    response = anon.post("/login", data={"username": "tian", "password": PASSWORD})
    assert response.status_code == 403
    assert "qanat_session" not in anon.cookies


def test_session_cookie_flags(anon: TestClient) -> None:
    response = login(anon, "tian")
    cookie = next(
        v
        for k, v in response.headers.multi_items()
        if k == "set-cookie" and v.startswith("qanat_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie


def test_session_expires_when_idle(as_role: Any, clock: VirtualClock) -> None:
    tech = as_role("technician")
    assert tech.get("/").status_code == 200
    clock.advance(IDLE.total_seconds() + 1)
    assert tech.get("/").status_code == 303


def test_logout_ends_the_session(as_role: Any, store: Store) -> None:
    tech = as_role("technician")
    cookie = tech.cookies["qanat_session"]
    assert tech.post("/logout", data={"csrf": csrf_of(tech)}).status_code == 303
    tech.cookies.set("qanat_session", cookie)  # a stolen copy of the cookie is worthless now
    assert tech.get("/").status_code == 303
    assert {"login.ok", "logout"} <= {a.action for a in audit_rows(store)}


def test_changes_are_audited_and_settings_validated(
    as_role: Any, store: Store, service: PageService
) -> None:
    admin = as_role("admin")
    form = {"probe_weight": "2", "rain_skip_mm": "x", "csrf": csrf_of(admin)}
    bad = admin.post("/settings/policy", data=form)
    assert bad.status_code == 422
    assert "探头权重 “2” 必须是 0.0 到 1.0 之间的数" in bad.text
    form = {"probe_weight": "0.5", "rain_skip_mm": "99", "csrf": csrf_of(admin)}
    refused = admin.post("/settings/policy", data=form)
    assert refused.status_code == 422 and "policy.rain_skip_mm: too wet" in refused.text
    ok = admin.post(
        "/settings/zones/z1", data={**POSTS["/settings/zones/z1"], "csrf": csrf_of(admin)}
    )
    assert ok.status_code == 303
    zone = {
        "crop": "seed_corn",
        "planting_date": date(2026, 4, 21),
        "mode": "et",
        "mad_fraction": None,
    }
    assert service.saved == [{"zones": {"z1": zone}}]


def test_unknown_host_names_are_refused(app: FastAPI) -> None:
    """DNS rebinding: a page reached through an attacker's name is not served."""
    with TestClient(app, base_url="http://evil.example:8080") as client:
        assert client.get("/login").status_code == 421
    with TestClient(app, base_url="http://localhost:8080") as client:
        assert client.get("/login").status_code == 200


def test_pages_carry_a_strict_content_security_policy(anon: TestClient) -> None:
    csp = anon.get("/login").headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp


def changes(service: PageService) -> list[tuple[str, dict[str, Any]]]:
    """The control verbs the service was asked for (reads are recorded too; they have no actor)."""
    return [c for c in service.calls if "actor" in c[1]]


def effects(service: PageService, store: Store) -> list[tuple[str, dict[str, Any]]]:
    """What the posts changed: the service's verbs, then the users' changes (from the audit)."""
    users = [
        (a.action, {"actor": a.actor})
        for a in audit_rows(store)
        if a.action.startswith("user.") and a.action != "user.locale"
    ]
    return changes(service) + users


def test_overview_says_why_the_clock_is_not_trusted(
    as_role: Any, service: PageService, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "系统时间不可信" not in as_role("viewer").get("/").text
    untrusted = replace(
        service.status(),
        clock_trusted=False,
        clock_note="the clock says 1970-01-01 00:00 UTC, before 2026-12-01",
    )
    monkeypatch.setattr(service, "status", lambda: untrusted)
    page = as_role("viewer").get("/").text
    assert "系统时间不可信" in page and "1970-01-01 00:00 UTC" in page
    banner = page.split('id="clock-untrusted"')[1].split("</p>")[0]
    assert "早于 2026-12-01" in banner and "before 2026" not in banner.split(">", 1)[1]
    assert "qanat confirm-time" in page
    assert 'action="/clock/confirm"' not in page  # only an admin may confirm


def test_an_admin_confirms_the_clock_from_the_overview(
    as_role: Any, service: PageService, monkeypatch: pytest.MonkeyPatch
) -> None:
    untrusted = replace(service.status(), clock_trusted=False, clock_note="not synchronised")
    monkeypatch.setattr(service, "status", lambda: untrusted)
    admin = as_role("admin")
    assert 'action="/clock/confirm"' in admin.get("/").text
    admin.post("/clock/confirm", data={"csrf": csrf_of(admin)}, headers={"referer": f"{BASE}/"})
    (call,) = [args for verb, args in service.calls if verb == "confirm_time"]
    assert call["actor"]  # audited with the admin's name by the service
    assert "系统时间已确认" in admin.get("/").text
