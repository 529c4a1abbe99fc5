"""docs/operations.md's site file reference against the site file's models.

Every key the models accept is named in the row of its section, with its default when it
has one (a number, a word, true/false); every key-like name a row gives as a key of its
section exists. Read from the pydantic models (``controller.config.site``), so a key added
without its line, or a line left behind by a key removed, fails here.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from pydantic import BaseModel

from controller.config.site import _SiteModel
from tests.helpers.site import ROOT

DOC = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
REFERENCE = DOC.split("## Site file reference", 1)[1].split("\n## ", 1)[0]


@dataclass(frozen=True)
class Key:
    path: tuple[str, ...]  # ("fertigation", "loop", "ph_band")
    model: type[BaseModel]  # the model the key belongs to
    default: object  # REQUIRED when it has none
    annotation: object  # the field's type

    @property
    def name(self) -> str:
        return self.path[-1]

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


REQUIRED = object()


def _models(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models(arg)]


def _keys(model: type[BaseModel], path: tuple[str, ...] = ()) -> Iterator[Key]:
    for name, field in model.model_fields.items():
        key = (*path, field.alias or name)
        default = REQUIRED if field.is_required() else field.get_default(call_default_factory=True)
        yield Key(key, model, default, field.annotation)
        for sub in _models(field.annotation):
            yield from _keys(sub, key)


KEYS = list(_keys(_SiteModel))


def _rows(text: str) -> list[tuple[str, str]]:
    """A markdown table's rows as (first cell, the whole row)."""
    out = []
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith("|---"):
            out.append((line.split(" | ", 1)[0], line))
    return out


def _table_after(heading: str) -> str:
    """The ``| `[notify]` key | ...`` tables: each key's own row."""
    section = DOC.split(heading, 1)[1].split("\n## ", 1)[0]
    return "\n".join(line for line in section.splitlines() if line.startswith("| `"))


# Where a key's top-level section is documented: the reference table's rows whose first
# cell names it, or the key tables of its own section.
SECTION_TEXT: dict[str, str] = {
    "notify": _table_after("## Notifications"),
    "mqtt": _table_after("## MQTT"),
}


def _section_text(top: str) -> str:
    if top in SECTION_TEXT:
        return SECTION_TEXT[top]
    rows = [
        row
        for first, row in _rows(REFERENCE)
        if f"[{top}]" in first
        or f"[{top}." in first
        or f"[[{top}]]" in first
        or (first.startswith("| water quota") and top in ("site", "zones"))
        or (first == "| top level" and top == "profile_dirs")
    ]
    return "\n".join(rows)


def _default_words(default: object) -> list[str] | None:
    """How a default may be written in the docs; None when it need not be."""
    if default is REQUIRED or default is None:
        return None
    if isinstance(default, bool):
        return [str(default).lower()]
    if isinstance(default, int | float):
        return [f"{default:g}", f"{float(default)}"]
    if isinstance(default, str) and default:
        return [default]
    return None  # lists, tables, empty text


def _mentioned(text: str, key: Key) -> bool:
    """`name`, or `[section] name` as the quota row writes it; a table of tables as its
    header (`[[fertigation.events]]`, `[crops.<crop>.stages.<period>]`)."""
    if re.search(rf"[` ]{re.escape(key.name)}`", text):
        return True
    header = r"\.(?:<[^>]+>\.)?".join(map(re.escape, key.path))
    return bool(_models(key.annotation)) and bool(re.search(rf"\[{header}\b", text))


def _beside(text: str, key: Key) -> str:
    """What the docs say next to the key: in a key table the row's default cell (the
    key's place in it when the row names several keys), in a reference row the words up
    to the next key of its table."""
    name = key.name
    others = "|".join(re.escape(n) for n in key.model.model_fields if n != name)
    parts = []
    for line in text.splitlines():
        cells = line.split(" | ")
        names = re.findall(r"`([a-z_0-9]+)`", cells[0])
        if line.startswith("| `") and name in names and len(cells) > 2:
            defaults = cells[1].split(", ")
            parts.append(defaults[names.index(name)] if len(defaults) == len(names) else cells[1])
            continue
        for match in re.finditer(rf"[` ]{re.escape(name)}`", line):
            rest = line[match.end() :]
            nxt = re.search(rf"`(?:{others})`", rest)
            parts.append(rest[: nxt.start() if nxt else 400])
    return "\n".join(parts)


def test_every_key_is_in_its_section_row() -> None:
    missing = [
        k.dotted
        for k in KEYS
        if len(k.path) > 1 or k.name == "profile_dirs"
        if not _mentioned(_section_text(k.path[0]), k)
    ]
    assert missing == []


def test_every_default_is_given_beside_its_key() -> None:
    missing = []
    for k in KEYS:
        words = _default_words(k.default)
        if words is None or isinstance(k.default, BaseModel):
            continue
        beside = _beside(_section_text(k.path[0]), k)
        if not any(re.search(rf"(?<![\w.]){re.escape(w)}(?![\w]|\.\d)", beside) for w in words):
            missing.append(f"{k.dotted} (default {words[0]})")
    assert missing == []


def test_a_section_has_one_row() -> None:
    firsts = [first for first, _ in _rows(REFERENCE)]
    assert sorted({f for f in firsts if firsts.count(f) > 1}) == []


KEYLIKE = re.compile(r"`([a-z][a-z0-9]*(?:_[a-z0-9]+)+)` \(")
# named in a row with an explanation in brackets, and not a key of the site file
NOT_KEYS = {
    "ece_threshold_ds_m": "the crop library's key a salt problem names",
    "flow_rate": "a pulse meter's derived point",
}


@pytest.mark.parametrize("top", sorted({k.path[0] for k in KEYS} - set(SECTION_TEXT)))
def test_nothing_documented_as_a_key_that_is_not_one(top: str) -> None:
    """A name given as a key (`name` followed by its explanation in brackets) in a section's
    row is a key of that section."""
    names = {k.name for k in KEYS if k.path[0] == top}
    names |= {k.name for k in KEYS}  # a row may name a key of another section it relies on
    documented = set(KEYLIKE.findall(_section_text(top)))
    assert sorted(documented - names - set(NOT_KEYS)) == []


@pytest.mark.parametrize("top", sorted(SECTION_TEXT))
def test_nothing_in_a_key_table_that_is_not_a_key(top: str) -> None:
    names = {k.name for k in KEYS if k.path[0] == top}
    documented = set()
    for first, _ in _rows(SECTION_TEXT[top]):
        documented |= set(re.findall(r"`([a-z_]+)`", first))
    assert sorted(documented - names) == []


def test_the_models_are_walked() -> None:
    """The walk reaches nested tables (a union with None, lists of tables, dicts of them)."""
    dotted = {k.dotted for k in KEYS}
    for path in ("fertigation.loop.ph_band", "zones.camera.keep_images", "crops.stages.mad"):
        assert path in dotted


# A name that carries its unit ends in one of these (`timeout_s`, `area_m2`, `dose_kg_mu`).
UNIT_SUFFIX = re.compile(
    r"_(?:deg|m|m2|m3|mm|mm_h|m3_h|m_s|s|ms|min|h|days|kpa|kb|pct|pct_h|c|ds_m|ms_cm|m3m3"
    r"|kg_m3|kg_mu|kg_l|l|l_h|l_m3|l_mu|m3_mu|m3_per_mu|mu|fraction|per_kwh|per_s|per_hour"
    r"|per_pulse)$"
)
# What a numeric key without one must say beside it: the unit it is in, or that it has none.
UNIT_WORD = re.compile(
    r"\b(?:fraction|unitless|count|runs|images|pH|scale units|port number|Modbus unit id)\b"
    r"|×|°C\^-0\.5"
)


def _numeric(annotation: object) -> bool:
    if annotation in (int, float):
        return True
    return any(_numeric(arg) for arg in typing.get_args(annotation))


def _whole_beside(text: str, key: Key) -> str:
    """The words beside the key, with the whole row of a key table (its description too)."""
    rows = [
        line
        for line in text.splitlines()
        if line.startswith("| `")
        and key.name in re.findall(r"`([a-z_0-9]+)`", line.split(" | ")[0])
    ]
    return "\n".join([_beside(text, key), *rows])


def test_every_number_names_its_unit() -> None:
    """A numeric key whose name carries no unit (`efficiency`, `burst_factor`) says its unit
    beside it in the docs: a fraction, a ×, a count, pH, or unitless."""
    missing = [
        k.dotted
        for k in KEYS
        if _numeric(k.annotation) and not _models(k.annotation)
        if not UNIT_SUFFIX.search(k.name)
        if not UNIT_WORD.search(_whole_beside(_section_text(k.path[0]), k))
    ]
    assert missing == []
