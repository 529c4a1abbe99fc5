"""The pages' icon: every page links it, and ``/favicon.ico`` answers with it (200, not the
404 a browser got on every first load), to anyone, logged in or not."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from web.pages.icon import ICON

LINK = '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'


def test_favicon_answers_with_the_icon(anon: TestClient) -> None:
    for path in ("/favicon.ico", "/static/favicon.svg"):
        response = anon.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("image/svg+xml"), path
        assert response.content == ICON.read_bytes()
    assert b"<svg" in ICON.read_bytes()


def test_every_kind_of_page_links_the_icon(anon: TestClient, as_role: Any) -> None:
    viewer = as_role("viewer")
    for client, path in ((anon, "/login"), (anon, "/board"), (viewer, "/"), (viewer, "/zones/z1")):
        page = client.get(path)
        assert page.status_code == 200, path
        assert LINK in page.text, path
