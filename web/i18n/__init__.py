"""Message catalogs of the pages: ``zh_CN.toml`` (the default) and ``en.toml``.

A catalog is TOML with one table per page; a key is ``table.name``
(``overview.title``). Values are ``str.format`` templates (``{zone}``). A key
missing from a catalog shows as the key itself, so a gap is visible, and a test
holds both catalogs to the same keys.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_LOCALE", "LOCALES", "catalog", "translate"]

DEFAULT_LOCALE = "zh-CN"
LOCALES = {"zh-CN": "zh_CN.toml", "en": "en.toml"}
_DIR = Path(__file__).resolve().parent


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = str(value)
    return out


@cache
def catalog(locale: str) -> dict[str, str]:
    """Every message of ``locale`` by dotted key (read once)."""
    name = LOCALES.get(locale, LOCALES[DEFAULT_LOCALE])
    with (_DIR / name).open("rb") as f:
        return _flatten(tomllib.load(f))


def translate(locale: str, key: str, **values: Any) -> str:
    """The message ``key`` in ``locale``, formatted with ``values``."""
    text = catalog(locale).get(key, key)
    if not values:
        return text
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):  # a broken translation must not break the page
        return text
