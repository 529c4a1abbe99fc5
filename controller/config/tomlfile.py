"""Reading a TOML file a person wrote, bounded, every failure a :class:`ConfigError`.

The site file and the saved page settings come from people and editors, not from
qanat: a file that is too large, not UTF-8, nested absurdly deep or not TOML at all
is refused with the file's name (and its line where one helps), never a traceback.
The limits are far above any real site file (the demo site is 12 kB, 4 levels deep).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from controller.config.errors import ConfigError

__all__ = ["MAX_DEPTH", "MAX_FILE_BYTES", "deeper_than", "key_path", "read_toml"]

MAX_FILE_BYTES = 1024 * 1024
# Arrays and tables below the document: zones[0].probes[0] is 4; 8 leaves room for any key.
MAX_DEPTH = 8

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")
_AT_LINE = re.compile(r"\(at line (\d+), column \d+\)")
# What a Chinese input method types for TOML's own punctuation, and what TOML wants there.
_FULL_WIDTH = {
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "＝": "=",
    "，": ",",
    "．": ".",
    "［": "[",
    "］": "]",
    "｛": "{",
    "｝": "}",
    "＃": "#",
    "　": "a space",
}


def read_toml(
    path: Path, *, max_bytes: int = MAX_FILE_BYTES, max_depth: int = MAX_DEPTH
) -> dict[str, Any]:
    """The TOML document in ``path``; :class:`ConfigError` naming the file if unusable.

    Refused: a file larger than ``max_bytes``, not UTF-8 (a leading byte-order mark is
    allowed, as Windows editors write one), not valid TOML, or with arrays or tables
    nested deeper than ``max_depth`` (the problem names the key path, or the line when
    the nesting is too deep to parse at all).
    """
    name = path.name
    try:
        with path.open("rb") as f:
            raw = f.read(max_bytes + 1)
    except OSError as exc:
        raise ConfigError([f"cannot read {path}: {exc.strerror or exc}"]) from exc
    if len(raw) > max_bytes:
        raise ConfigError([f"{name}: larger than {max_bytes // 1024} KiB, not a site file"])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column = _line_column(raw, exc.start)
        raise ConfigError(
            [
                f"{name}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at line {line}, "
                f"column {column}); save the file as UTF-8"
            ]
        ) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{name}: not valid TOML: {exc}{_full_width_hint(text, exc)}"]) from exc
    except ValueError as exc:  # an integer longer than Python converts (4300 digits)
        raise ConfigError([f"{name}: not valid TOML: {str(exc).split(':')[0]}"]) from exc
    except RecursionError as exc:  # tomllib parses nested arrays by recursion
        raise ConfigError(
            [
                f"{name}: arrays or tables nested deeper than {max_depth} levels "
                f"at line {_deep_line(text, max_depth)}"
            ]
        ) from exc
    deep = deeper_than(data, max_depth)
    if deep is not None:
        raise ConfigError(
            [f"{key_path(deep)}: arrays or tables nested deeper than {max_depth} levels ({name})"]
        )
    return data


def key_path(parts: Sequence[int | str]) -> str:
    """``("zones", 3, "planting_date")`` → ``zones[3].planting_date``.

    A key that is not a bare TOML key is written quoted, as TOML would
    (``zones[0]."a b"``), so a key path is always one line.
    """
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            key = part if _BARE.match(part) else _quoted(part)
            out += f".{key}" if out else key
    return out


def deeper_than(value: object, depth: int) -> tuple[int | str, ...] | None:
    """The key path of a container nested ``depth`` + 1 levels below ``value``, or ``None``.

    Iterative, so any depth is measured without recursion.
    """
    stack: list[tuple[object, tuple[int | str, ...]]] = [(value, ())]
    while stack:
        item, where = stack.pop()
        children: list[tuple[int | str, object]]
        if isinstance(item, dict):
            children = list(item.items())
        elif isinstance(item, list):
            children = list(enumerate(item))
        else:
            continue
        for key, child in children:
            if isinstance(child, dict | list):
                if len(where) >= depth:
                    return (*where, key)
                stack.append((child, (*where, key)))
    return None


def _full_width_hint(text: str, exc: tomllib.TOMLDecodeError) -> str:
    """A hint when the line of the error holds full-width punctuation before any comment
    (typed with a Chinese input method: “head” for "head"), else ""."""
    found = _AT_LINE.search(str(exc))
    if found is None:
        return ""
    lines = text.splitlines()
    number = int(found.group(1))
    line = lines[number - 1].split("#", 1)[0] if 0 < number <= len(lines) else ""
    chars = [c for c in dict.fromkeys(line) if c in _FULL_WIDTH]
    if not chars:
        return ""
    said = ", ".join(f"{c} for {_FULL_WIDTH[c]}" for c in chars)
    return (
        f"; line {number} has full-width punctuation ({said}): type it with the input "
        "method in English mode"
    )


def _quoted(key: str) -> str:
    return json.dumps(key, ensure_ascii=False)  # a JSON string is a TOML basic string


def _line_column(raw: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in bytes) of ``offset`` in ``raw``."""
    line_start = raw.rfind(b"\n", 0, offset) + 1
    return raw.count(b"\n", 0, offset) + 1, offset - line_start + 1


def _deep_line(text: str, depth: int) -> int:
    """The line where brackets (outside strings and comments) first nest deeper than ``depth``.

    Only for the message of a file too deep for the parser; 1 if none is found.
    """
    level, line, i, quote = 0, 1, 0, ""
    while i < len(text):
        c = text[i]
        if c == "\n":
            line += 1
        if quote:
            if text.startswith(quote, i):
                i += len(quote) - 1
                quote = ""
            elif c == "\\" and quote[0] == '"':
                i += 1
                line += text[i : i + 1] == "\n"
        elif c == "#":
            end = text.find("\n", i)
            i = len(text) if end < 0 else end - 1
        elif c in "\"'":
            quote = c * 3 if text.startswith(c * 3, i) else c
            i += len(quote) - 1
        elif c in "[{":
            level += 1
            if level > depth:
                return line
        elif c in "]}":
            level = max(0, level - 1)
        i += 1
    return 1
