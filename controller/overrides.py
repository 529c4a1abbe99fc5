"""Settings changed from the pages, kept as ``site.overrides.toml`` in the data directory.

The site file stays as the installer wrote it; this file holds only what the
pages changed (``[zones.z1] crop = ...``, ``[policy] probe_weight = ...``) and
is laid over the site at start (:func:`apply_saved`) and on every change, with
the same validation as the site file (:func:`controller.config.apply_overrides`).
Written atomically (temporary file, fsync, rename): a power cut leaves the old
or the new file, never half of one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tomllib
from pathlib import Path
from typing import Any

from controller.config import ConfigError, SiteConfig, apply_overrides

__all__ = ["OVERRIDES_FILE", "apply_saved", "dumps", "load", "merge", "save"]

OVERRIDES_FILE = "site.overrides.toml"


def load(data_dir: Path) -> dict[str, Any]:
    """The saved overrides (empty if none); :class:`ConfigError` naming the file if unreadable."""
    path = data_dir / OVERRIDES_FILE
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError([f"{path}: {exc}"]) from exc


def merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``changes`` laid over ``base`` table by table (a new value replaces an old one)."""
    out: dict[str, Any] = {}
    for key in base.keys() | changes.keys():
        old, new = base.get(key), changes.get(key)
        if isinstance(old, dict) and isinstance(new, dict):
            out[key] = merge(old, new)
        else:
            out[key] = new if key in changes else old
    return out


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a TOML basic string


def dumps(overrides: dict[str, Any]) -> str:
    """TOML text of two-level overrides (tables of scalars, ``zones`` a table of tables)."""
    lines = ["# Settings changed from the qanat pages; laid over the site file at start.", ""]
    for section in sorted(overrides):
        tables = overrides[section]
        if section == "zones":
            for zone in sorted(tables):
                lines.append(f"[zones.{zone}]")
                lines += [f"{k} = {_value(v)}" for k, v in sorted(tables[zone].items())]
                lines.append("")
        else:
            lines.append(f"[{section}]")
            lines += [f"{k} = {_value(v)}" for k, v in sorted(tables.items())]
            lines.append("")
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
