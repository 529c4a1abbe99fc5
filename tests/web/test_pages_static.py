"""What the pages ship: no external URL anywhere, both message catalogs complete."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from controller.said.words import flatten, words
from web.i18n import LOCALES, catalog, translate_whole

WEB = Path(__file__).resolve().parents[2] / "web"
SHIPPED = [p for d in ("templates", "static") for p in sorted((WEB / d).rglob("*")) if p.is_file()]
# A URL with a scheme or scheme-relative (//host): nothing may load from off the box.
EXTERNAL = re.compile(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", re.IGNORECASE)
# uPlot's minified file opens with its project address in a license comment; nothing loads it.
LICENSE_BANNER = "/*! https://github.com/leeoniya/uPlot (v1.6.32) */"
# An SVG names its namespace by the W3C's address; an identifier, nothing loads it.
SVG_NAMESPACE = 'xmlns="http://www.w3.org/2000/svg"'


def test_there_are_shipped_files() -> None:
    names = {p.name for p in SHIPPED}
    assert {"base.html", "app.css", "app.js", "uPlot.iife.min.js", "uPlot.LICENSE"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(WEB)))
def test_no_external_url(path: Path) -> None:
    if path.name.endswith(".LICENSE"):
        return  # license text, never served as a page or script
    text = path.read_text(encoding="utf-8")
    text = text.replace(LICENSE_BANNER, "").replace(SVG_NAMESPACE, "")
    assert EXTERNAL.findall(text) == [], f"{path.name} names an external address"


def test_catalogs_have_the_same_keys_and_no_empty_message() -> None:
    zh, en = catalog("zh-CN"), catalog("en")
    assert sorted(set(zh) ^ set(en)) == []
    for locale in LOCALES:
        empty = [k for k, v in catalog(locale).items() if not v.strip()]
        assert empty == [], f"{locale}: empty messages {empty}"


def test_catalogs_use_the_same_placeholders() -> None:
    zh, en = catalog("zh-CN"), catalog("en")
    for key in zh:
        assert set(re.findall(r"\{(\w+)\}", zh[key])) == set(re.findall(r"\{(\w+)\}", en[key])), key


def test_every_message_the_templates_ask_for_exists() -> None:
    asked = set()
    for path in SHIPPED:
        if path.suffix == ".html":
            asked |= set(re.findall(r"""\btw?\(['"]([a-z_0-9.]+)['"]""", path.read_text("utf-8")))
    literal = re.compile(r'"((?:control|settings|alarms|login|users)\.[a-z_]+)"')
    audit_action = re.compile(r'record_audit\([^,]+,\s*"([a-z_.]+)"')
    for py in (WEB / "pages").glob("*.py"):
        code = py.read_text("utf-8")
        asked |= set(literal.findall(code)) - set(audit_action.findall(code))
    asked = {k for k in asked if not k.endswith((".html", "."))}  # "role." ~ role: below
    asked |= {f"role.{r}" for r in ("admin", "technician", "viewer")}
    asked |= {f"state.{s}" for s in ("running", "paused", "alarm")}
    assert {"control.started_open", "login.too_many", "settings.saved", "users.added"} <= asked
    assert "savings.saved_to_date" in asked  # asked by tw(): its value kept whole
    missing = sorted(k for k in asked if k not in catalog("zh-CN"))
    assert missing == []


def test_catalog_files_are_valid_toml() -> None:
    for name in LOCALES.values():
        with (WEB / "i18n" / name).open("rb") as f:
            assert tomllib.load(f)


def test_the_records_words_are_kept_once_and_merged_in() -> None:
    """The records' tables live in controller/said only: no page catalog file repeats a key
    of them, and every one of them reaches the page catalog."""
    for locale, name in LOCALES.items():
        with (WEB / "i18n" / name).open("rb") as f:
            pages = flatten(tomllib.load(f))
        records = words(name.removesuffix(".toml"))
        assert sorted(set(pages) & set(records)) == [], name
        assert "trip_message.dry_run" in records
        assert {k: catalog(locale)[k] for k in records} == records


def test_a_message_with_values_kept_whole_escapes_its_words_and_values() -> None:
    said = translate_whole("zh-CN", "savings.saved_to_date", day="2026-06-20<b>")
    assert said == ('截至 <span class="whole">2026-06-20&lt;b&gt;</span> 比常规灌溉节水 (每亩)')
