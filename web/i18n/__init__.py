"""Message catalogs of the pages: ``zh_CN.toml`` (the default) and ``en.toml``.

A catalog is TOML with one table per page; a key is ``table.name``
(``overview.title``). Values are ``str.format`` templates (``{zone}``). A key
missing from a catalog shows as the key itself, so a gap is visible, and a test
holds both catalogs to the same keys.

The words of the box's stored records (``trip_message``, ``device_event``,
``device_error``, ``head_event``, ``fert_note``, ``clock_event``, ``run_event``,
``end_reason``, ``phase``, ``quality``, ...) are kept once, in
:mod:`controller.said.words`, which the notifications read too; each page catalog merges
them in under the same keys.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from controller.said.words import fill, flatten, words

__all__ = ["DEFAULT_LOCALE", "LOCALES", "catalog", "translate", "translate_whole"]

DEFAULT_LOCALE = "zh-CN"
LOCALES = {"zh-CN": "zh_CN.toml", "en": "en.toml"}
_DIR = Path(__file__).resolve().parent


@cache
def catalog(locale: str) -> dict[str, str]:
    """Every message of ``locale`` by dotted key (read once)."""
    name = LOCALES.get(locale, LOCALES[DEFAULT_LOCALE])
    with (_DIR / name).open("rb") as f:
        pages = flatten(tomllib.load(f))
    return {**pages, **words(name.removesuffix(".toml"))}


def translate(locale: str, key: str, **values: Any) -> str:
    """The message ``key`` in ``locale``, formatted with ``values``."""
    return fill(catalog(locale).get(key, key), values)


def translate_whole(locale: str, key: str, **values: Any) -> Markup:
    """The message ``key`` in ``locale`` as HTML, each of ``values`` kept whole on one line
    (in a ``<span class="whole">``: a date is not cut at its hyphen on a phone); the
    message's own words and the values escaped."""
    whole = {k: Markup('<span class="whole">{}</span>').format(v) for k, v in values.items()}
    return Markup(fill(str(escape(catalog(locale).get(key, key))), whole))
