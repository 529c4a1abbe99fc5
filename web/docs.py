"""``/docs``: the API described on one offline page.

FastAPI's Swagger UI and ReDoc load their scripts from a CDN, and sites have
no internet. This page is rendered on the server from the OpenAPI schema, with
no script and no external asset; the full schema is at ``/openapi.json``.
"""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

__all__ = ["install_docs"]

_METHODS = ("get", "post", "put", "patch", "delete")
_CSP = "default-src 'none'; style-src 'unsafe-inline'"
_STYLE = "body{font-family:sans-serif;margin:2em}td{padding:.2em 1em;vertical-align:top}"


def _rows(schema: dict[str, Any]) -> list[str]:
    rows = []
    for path, item in schema.get("paths", {}).items():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            about = operation.get("description") or operation.get("summary", "")
            rows.append(
                f"<tr><td><code>{method.upper()}</code></td><td><code>{escape(path)}</code></td>"
                f"<td>{escape(about)}</td></tr>"
            )
    return rows


def render_docs(schema: dict[str, Any]) -> str:
    title = escape(f"{schema['info']['title']} {schema['info']['version']}")
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title} API</title>"
        f"<style>{_STYLE}</style></head><body><h1>{title} API</h1>"
        "<p>Send <code>Authorization: Bearer &lt;token&gt;</code>. "
        "Full schema: <a href='/openapi.json'>/openapi.json</a>.</p>"
        f"<table>{''.join(_rows(schema))}</table></body></html>"
    )


def install_docs(app: FastAPI) -> None:
    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(render_docs(app.openapi()), headers={"Content-Security-Policy": _CSP})
