"""The words of the stored records: ``catalog/zh_CN.toml`` and ``catalog/en.toml``.

One table per writer (``trip_message``, ``device_event``, ``device_error``,
``head_event``, ``fert_note``, ``clock_event``, ``clock_reason``, ``run_event``, and a
run's ``end_reason`` with its ``channel_dose``, which a run event names, and
``channel_event``, a notification channel or the MQTT broker down or back) and the names their
values use (``phase``, ``quality``); a key is ``table.name``. Values are ``str.format``
templates. The pages merge these tables into their own catalogs (:mod:`web.i18n`), so a
page says a key the same way a notification does.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from typing import Any

from controller.errors import ControllerError
from controller.paths import bundled

__all__ = ["LANGUAGES", "UnknownLanguage", "fill", "flatten", "words"]

LANGUAGES = ("zh_CN", "en")  # the catalogs' file names without ``.toml``


class UnknownLanguage(ControllerError, LookupError):
    """A language no catalog is written in."""


def flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """``table``'s strings by dotted key (``trip_message.burst``)."""
    out: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, Mapping):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = str(value)
    return out


@cache
def words(language: str) -> dict[str, str]:
    """Every template of ``language`` (one of :data:`LANGUAGES`) by dotted key, read once."""
    if language not in LANGUAGES:
        raise UnknownLanguage(f"no record catalog in language {language!r}; known: {LANGUAGES}")
    path = bundled("controller", f"said/catalog/{language}.toml")
    return flatten(tomllib.loads(path.read_text(encoding="utf-8")))


def fill(template: str, values: Mapping[str, Any]) -> str:
    """``template`` filled with ``values``; without values, or when a translation names a
    value the record lacks, the template as written (a broken translation must not break
    the page or the message)."""
    if not values:
        return template
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template
