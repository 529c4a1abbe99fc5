"""Settings changed from the pages, kept as ``site.overrides.toml`` in the data directory.

The site file stays as the installer wrote it; this file holds only what the
pages changed (``[zones.z1] crop = ...``, ``[policy] probe_weight = ...``, a
crop period's MAD as ``[crops.seed_corn.stages.ripening] mad = ...``, the whole
fertigation plan as ``[[fertigation.events]]``, the whole list of dosing recipes as
``[[fertigation.recipes]]``) and is laid over the site
at start (:func:`apply_saved`) and on every change, with the same validation as
the site file (:func:`controller.config.site.apply_overrides`). Deleting an entry
(or the file) gives the site file's value back.

TOML has no null: a setting taken back to "not set" (a zone's ``mad_fraction``
emptied on the page) is a key *removed* from this file — :func:`merge` removes
a key whose new value is ``None``.

Written atomically (temporary file, fsync, rename): a power cut leaves the old
or the new file, never half of one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path
from typing import Any

from controller.config.site import SiteConfig, apply_overrides
from controller.config.tomlfile import read_toml

__all__ = ["OVERRIDES_FILE", "apply_saved", "dumps", "load", "merge", "save"]

OVERRIDES_FILE = "site.overrides.toml"


def load(data_dir: Path) -> dict[str, Any]:
    """The saved overrides (empty if none); :class:`ConfigError` naming the file if unusable
    (unreadable, not UTF-8, not TOML, too large or too deep: :func:`read_toml`)."""
    path = data_dir / OVERRIDES_FILE
    if not path.exists():
        return {}
    return read_toml(path)


def merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``changes`` laid over ``base`` table by table.

    A new value replaces an old one (a list, such as ``fertigation.events``, as a
    whole); ``None`` removes the key, and a table left empty goes with it.
    """
    out: dict[str, Any] = {}
    for key in base.keys() | changes.keys():
        old, new = base.get(key), changes.get(key)
        value: Any
        if isinstance(old, dict) and isinstance(new, dict):
            value = merge(old, new)
        elif key in changes:
            value = new if not isinstance(new, dict) else merge({}, new)
        else:
            value = old
        if value is None or value == {}:
            continue
        out[key] = value
    return out


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):  # a recipe's dose: an inline table, unset keys left out
        items = [f"{_key(k)} = {_value(v)}" for k, v in value.items() if v is not None]
        return "{ " + ", ".join(items) + " }"
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a TOML basic string


def _is_tables(value: Any) -> bool:
    """A non-empty list of tables: written as ``[[section.key]]``."""
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _table(header: str, table: dict[str, Any]) -> list[str]:
    """``[header]`` with its values, then its lists of tables as ``[[header.key]]``.

    ``None`` values are left out (TOML has no null; absent means "not set").
    """
    lines = [f"[{header}]"]
    lines += [
        f"{_key(k)} = {_value(v)}"
        for k, v in sorted(table.items())
        if v is not None and not _is_tables(v)
    ]
    lines.append("")
    for k, items in sorted(table.items()):
        if _is_tables(items):
            for item in items:
                lines.append(f"[[{header}.{_key(k)}]]")
                lines += [f"{_key(n)} = {_value(v)}" for n, v in item.items() if v is not None]
                lines.append("")
    return lines


def _nested(header: str, table: dict[str, Any]) -> list[str]:
    """``[header]`` with its values (none if it holds only tables), then each table in it as
    ``[header.key]``, to any depth (``[crops.seed_corn.stages."yield formation"]``)."""
    values = {k: v for k, v in table.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in table.items() if isinstance(v, dict)}
    lines = _table(header, values) if values or not tables else []
    for key in sorted(tables):
        lines += _nested(f"{header}.{_key(key)}", tables[key])
    return lines


def dumps(overrides: dict[str, Any]) -> str:
    """TOML text of the overrides: tables of values, tables of tables (``zones``, ``crops``)
    as dotted headers, lists of tables (``fertigation.events``) as arrays of tables."""
    lines = ["# Settings changed from the qanat pages; laid over the site file at start.", ""]
    for section in sorted(overrides):
        lines += _nested(_key(section), overrides[section])
    return "\n".join(lines)


def save(data_dir: Path, overrides: dict[str, Any]) -> None:
    """Write ``site.overrides.toml`` atomically."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / OVERRIDES_FILE
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(dumps(overrides))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def apply_saved(site: SiteConfig, data_dir: Path) -> SiteConfig:
    """``site`` with the saved overrides of ``data_dir`` (``site`` itself if there are none)."""
    saved = load(data_dir)
    return apply_overrides(site, saved, source=str(data_dir / OVERRIDES_FILE)) if saved else site
