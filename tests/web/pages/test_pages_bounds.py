"""Hostile input on the pages: clean 4xx with a message, never a 500, never a dropped connection."""

from __future__ import annotations

import http.client
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI

from controller.access.accounts import Accounts
from controller.store import Store
from tests.helpers.browser import serving
from tests.helpers.pages import FAST, PageService, csrf_of, login
from web.app import create_app
from web.pages import PagesConfig


@pytest.mark.parametrize(
    ("path", "data", "code"),
    [
        (f"/alarms/{10**30}/ack", {}, 422),
        (f"/alarms/{2**63}/ack", {}, 422),
        ("/alarms/0/ack", {}, 422),
        (f"/alarms/{2**63 - 1}/ack", {}, 404),
        ("/zones/nosuch/start", {"minutes": "10"}, 404),
        ("/zones/nosuch/stop", {}, 404),
        (f"/zones/{'z' * 65}/start", {"minutes": "10"}, 422),
        ("/zones/z1/start", {"minutes": "1e999"}, 422),
        ("/zones/z1/start", {"minutes": "nan"}, 422),
        ("/pause", {"hours": "-1"}, 422),
    ],
)
def test_bad_control_posts_are_clean_4xx(
    as_role: Any, service: PageService, path: str, data: dict[str, str], code: int
) -> None:
    tech = as_role("technician")
    response = tech.post(path, data={**data, "csrf": csrf_of(tech)})
    assert response.status_code == code, response.text
    assert response.text  # a message, not an empty body
    assert [c for c in service.calls if "actor" in c[1]] == []


@pytest.mark.parametrize(
    "path",
    [
        f"/settings/fertigation/events/{10**30}",
        f"/settings/fertigation/events/{10**30}/delete",
        "/settings/fertigation/events/0/delete",
        f"/users/{'u' * 65}/disable",
        f"/settings/zones/{'z' * 65}",
    ],
)
def test_bad_admin_path_parameters_are_422(as_role: Any, path: str) -> None:
    admin = as_role("admin")
    response = admin.post(path, data={"csrf": csrf_of(admin)})
    assert response.status_code == 422, response.text


@pytest.mark.parametrize("path", [f"/alarms/{10**30}", f"/zones/{'z' * 65}", "/zones/nosuch"])
def test_bad_page_reads_are_clean_4xx(as_role: Any, path: str) -> None:
    response = as_role("viewer").get(path)
    assert response.status_code in (404, 422), response.text


class BrokenDevices(PageService):
    """A service whose device list fails unexpectedly (a bug, not a refusal)."""

    def devices(self) -> Any:
        raise RuntimeError("a bug in the device view")


def test_a_page_500_keeps_the_connection_alive(
    store: Store, tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The pages answer their own 500; the outer guard must not drop the keep-alive connection."""
    accounts = Accounts(store, hasher=FAST)
    user = accounts.create_user("wei", "correct horse battery", "viewer")
    cookie, _ = accounts.open_session(user)
    app: FastAPI = create_app(
        BrokenDevices(), store, pages=PagesConfig(data_dir=tmp_path / "d", password_hasher=FAST)
    )
    with serving(app) as base:
        url = urlsplit(base)
        connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
        headers = {"Cookie": f"qanat_session={cookie}"}
        try:
            connection.request("GET", "/devices", headers=headers)
            broken = connection.getresponse()
            assert broken.status == 500
            broken.read()
            assert not broken.will_close
            connection.request("GET", "/alarms", headers=headers)  # the same connection
            after = connection.getresponse()
            assert after.status == 200
            after.read()
        finally:
            connection.close()
    logged = [r for r in caplog.records if "unhandled error" in r.getMessage()]
    assert len(logged) == 1, "logged once, with its traceback"


def test_user_texts_are_bounded_on_the_users_page(as_role: Any) -> None:
    admin = as_role("admin")
    form = {
        "username": "zhao",
        "display_name": "名" * 65,
        "role": "viewer",
        "password": "another good password",
        "password_again": "another good password",
        "csrf": csrf_of(admin),
    }
    refused = admin.post("/users", data=form)
    assert refused.status_code == 422
    assert "显示名称最多 64 个字符" in refused.text
    form["display_name"] = "x" * 5000  # past any form field's bound
    assert admin.post("/users", data={**form, "csrf": csrf_of(admin)}).status_code == 422


@pytest.mark.parametrize(
    ("path", "field", "value"),
    [
        ("/settings/fertigation/events", "label", "肥" * 65),
        ("/settings/policy", "probe_weight", "0" * 3000),
        ("/settings/zones/z1", "crop", "c" * 3000),
    ],
)
def test_every_form_text_is_bounded(as_role: Any, path: str, field: str, value: str) -> None:
    admin = as_role("admin")
    response = admin.post(path, data={field: value, "csrf": csrf_of(admin)})
    assert response.status_code == 422
    assert field in response.text


def test_an_overlong_login_is_a_422(anon: Any) -> None:
    assert login(anon, "u" * 65).status_code == 422
    assert login(anon, "tian", "p" * 1025).status_code == 422
