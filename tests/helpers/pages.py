"""The technician pages' test helpers: a user per role, a fast hasher, the page service.

Starlette's TestClient keeps cookies like a browser. It talks to the app as
``http://127.0.0.1:8080`` (an IP address: the pages refuse unknown DNS names)
and sends the matching ``Origin`` a browser would send with a form. The fixtures
that build the app and log in are in ``tests/web/pages/conftest.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from fastapi import FastAPI
from starlette.testclient import TestClient

from controller.config.site import ConfigError, apply_overrides, load_site
from controller.daemon.protocol import SettingsInvalid
from controller.store import Store
from tests.helpers.fakes import NOW, FakeControlService
from tests.helpers.site import DEMO_SITE
from web.pages.plan_form import plan_version

BASE = "http://127.0.0.1:8080"
PASSWORD = "correct horse battery"
USERS = {"admin": "ada", "technician": "tian", "viewer": "wei"}
# Still argon2id, with small parameters so the walk stays quick; production uses the defaults.
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@dataclass
class PageService(FakeControlService):
    """The API fake plus what only the pages read (settings, moisture history)."""

    saved: list[dict[str, Any]] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)  # the site validation's next refusal
    validated: bool = False  # changes (and soil approvals) through the demo site's checks

    def apply_settings(self, changes: dict[str, Any], actor: str) -> None:
        if changes.get("policy", {}).get("rain_skip_mm") == 99.0:
            raise SettingsInvalid(["policy.rain_skip_mm: too wet (site.overrides.toml)"])
        if self.invalid:
            raise SettingsInvalid(self.invalid)
        if self.validated:  # as the service does: the site file's own checks of the change
            try:
                apply_overrides(load_site(DEMO_SITE), changes)
            except ConfigError as exc:
                raise SettingsInvalid(exc.problems, coded=exc.coded) from exc
        self.saved.append(changes)
        self.calls.append(("apply_settings", {"actor": actor}))
        for zone, values in changes.get("zones", {}).items():  # as the daemon would show them
            if "mad_fraction" in values:
                self.mad_fraction.pop(zone, None)
                if values["mad_fraction"] is not None:
                    self.mad_fraction[zone] = values["mad_fraction"]
        for period, values in (
            changes.get("crops", {}).get("seed_corn", {}).get("stages", {}).items()
        ):
            self.stage_mad.pop(period, None)
            if values is not None:
                self.stage_mad[period] = values["mad"]
        plan = changes.get("fertigation", {})
        if self.fertigation is not None:
            if "events" in plan:
                self.fertigation["events"] = plan["events"]
            if "recipes" in plan:
                self.fertigation["recipe_table"] = plan["recipes"]

    def approve_soil(self, zone: str, fitted_at: datetime, actor: str) -> dict[str, float]:
        values = super().approve_soil(zone, fitted_at, actor)
        if self.validated:  # the service saves the approved values as settings
            self.apply_settings({"zones": {zone: values}}, actor)
        return values

    def request_dry_down(self, zone: str, fraction: float, actor: str) -> dict[str, Any]:
        change = {"zones": {zone: {"calibration_dry_down": fraction}}}
        if self.validated:  # the service saves the request as the zone's setting first
            self.apply_settings(change, actor)
        elif zone in self.zones_by_name:  # and refuses what the site check refuses
            try:
                apply_overrides(load_site(DEMO_SITE), change)
            except ConfigError as exc:
                raise SettingsInvalid(exc.problems, coded=exc.coded) from exc
        return super().request_dry_down(zone, fraction, actor)

    def moisture_history(self, zone: str, days: int = 7) -> dict[str, list[Any]]:
        self._known(zone)
        return {"0.2": [(NOW - timedelta(hours=1), 23.5), (NOW, 23.0)]}


def page_client(app: FastAPI) -> TestClient:
    client = TestClient(app, base_url=BASE, follow_redirects=False)
    client.headers["origin"] = BASE
    return client


def login(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    page = client.get("/login")
    pre = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert pre is not None
    return client.post(
        "/login", data={"username": username, "password": password, "csrf": pre.group(1)}
    )


def csrf_of(client: TestClient, path: str = "/") -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]{64})"', client.get(path).text)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


def in_language(client: TestClient, lang: str) -> TestClient:
    """The client with its pages switched to ``lang`` (the language form, as a user would)."""
    client.post("/lang", data={"lang": lang, "next": "/", "csrf": csrf_of(client)})
    return client


# The fake's plan, as its forms carry it.
PLAN = plan_version(FakeControlService().settings()["fertigation"]["events"])
RECIPES = plan_version(FakeControlService().settings()["fertigation"]["recipe_table"])


def audit_rows(store: Store) -> list[Any]:
    return list(store.rows_after("audit", 0, limit=10_000))
