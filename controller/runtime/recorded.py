"""English records read back as message codes and the values they name.

Some records are English text the box keeps as written (a run's ``end_reason``, a safety
alarm's message); a page says them in its own language from the code of each part and the
values it names, read back here. A :class:`Templates` holds one English template per code,
in the writers' own words (``str.format`` fields, each matching any text); a part no
template knows is given back as it is, without a code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = ["RecordedPart", "Templates"]

_FIELD = re.compile(r"\{(\w+)\}")
_NUMBER = r"[-+]?\d+(?:\.\d+)?"


@dataclass(frozen=True, slots=True)
class RecordedPart:
    """One part of a record: its ``code`` and ``values`` ("" and none when no template knows
    it) and its English ``text`` as recorded."""

    text: str
    code: str = ""
    values: dict[str, str] = field(default_factory=dict)


class Templates:
    """Codes and their English templates, read back most specific first; a field named in
    ``numbers`` matches a number only (``12``, ``-0.5``), where any text would let a
    template whose field opens it swallow another's words. ``older``: by code, the words a
    writer used before (rows stored then), read back as the same code, never written."""

    def __init__(
        self,
        templates: Mapping[str, str],
        numbers: Iterable[str] = (),
        older: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        self.templates = dict(templates)
        unknown = sorted(set(older or {}) - set(self.templates))
        if unknown:
            raise ValueError(f"older words for codes without a template: {', '.join(unknown)}")
        numeric = frozenset(numbers)
        every = list(self.templates.items())
        every += [(code, t) for code, ts in (older or {}).items() for t in ts]
        out = []
        for code, template in every:
            pieces = _FIELD.split(template)  # fixed, name, fixed, name, ..., fixed
            regex = "".join(
                re.escape(p) if i % 2 == 0 else f"(?P<{p}>{_NUMBER if p in numeric else '.+?'})"
                for i, p in enumerate(pieces)
            )
            fixed = sum(len(p) for p in pieces[::2])
            out.append((fixed, code, re.compile(f"^{regex}$", re.DOTALL)))
        # the longest fixed text first: a part is read as the template fixing most of its words
        out.sort(key=lambda item: -item[0])
        self._patterns = tuple((code, pattern) for _, code, pattern in out)

    def part(self, text: str) -> RecordedPart:
        """``text`` with the code of the template it matches (none if no template does)."""
        for code, pattern in self._patterns:
            found = pattern.match(text)
            if found:
                return RecordedPart(text, code, found.groupdict())
        return RecordedPart(text)

    def parts(self, record: str, sep: str = "; ") -> list[RecordedPart]:
        """``record`` split at ``sep`` into its parts, each read by :meth:`part`."""
        return [self.part(text) for text in record.split(sep)] if record else []
