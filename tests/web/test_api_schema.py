"""The API describes itself at /openapi.json and /docs, offline."""

from __future__ import annotations

import re

from tests.helpers.api import ROUTES
from tests.helpers.asgi import AsgiClient

API = "/api/v1"


def test_openapi_lists_every_endpoint(client: AsgiClient) -> None:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    schema = r.json()
    assert schema["info"]["title"] == "qanat"
    listed = {
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post")
    }
    assert listed == {(method, API + path) for method, path in ROUTES}


def test_openapi_describes_auth_and_bodies(client: AsgiClient) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    start = schema["paths"][f"{API}/zones/{{zone}}/start"]["post"]
    assert start["security"] == [{"HTTPBearer": []}]
    assert "201" in start["responses"]
    minutes = schema["components"]["schemas"]["RunCreate"]["properties"]["minutes"]
    assert minutes["exclusiveMinimum"] == 0
    assert minutes["maximum"] == 1440
    zone = schema["components"]["schemas"]["ZonePublic"]["properties"]
    assert zone["moisture_pct"]["type"] == "object"


def test_docs_page_is_offline(client: AsgiClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in r.headers["content-security-policy"]
    page = r.text
    assert "<script" not in page
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", page), "page loads something remote"
    assert f"{API}/zones/{{zone}}/start" in page
    assert "/openapi.json" in page


def test_no_swagger_or_redoc(client: AsgiClient) -> None:
    assert client.get("/redoc").status_code == 404
    assert client.get("/docs/oauth2-redirect").status_code == 404
