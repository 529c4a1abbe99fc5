"""The Hargreaves radiation coefficient krs of FAO-56 eq. 50 (Rs = krs √(Tmax − Tmin) Ra,
°C⁻⁰·⁵): its default, the range a site file accepts (``[site] krs``), and the ``--krs`` option
of the commands that set it, which refuses what the site file would.

FAO-56 gives 0.16 for interior and 0.19 for coastal locations; a value calibrated on a
station's sunshine normals (models/et0/krs.py; Zhangye: 0.148) lands near them. At either
end of 0.10-0.25 the estimated radiation already differs from the interior value's by more
than a third.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

__all__ = ["KRS_DEFAULT", "KRS_MAX", "KRS_MIN", "KrsOption", "krs_refusal"]

KRS_DEFAULT = 0.16  # °C^-0.5, FAO-56 eq. 50 "interior"
KRS_MIN = 0.10  # °C^-0.5
KRS_MAX = 0.25  # °C^-0.5


def krs_refusal(text: str, words: Sequence[str] = ()) -> str | None:
    """Why ``--krs text`` is refused (one line naming the option, the value and the range),
    or None when ``text`` is a krs a site accepts; ``words`` are the other values the
    option takes, named in the line."""
    allowed = f"{KRS_MIN:.2f} to {KRS_MAX:.2f}"
    try:
        value = float(text)
    except ValueError:
        other = "".join(f" nor {w!r}" for w in words)
        return f"--krs {text!r}: {'neither' if words else 'not'} a number{other} ({allowed})"
    if not KRS_MIN <= value <= KRS_MAX:  # NaN fails too
        return f"--krs {text}: outside {allowed} (the FAO-56 eq. 50 krs a site accepts)"
    return None


class KrsOption(argparse.Action):
    """``--krs X``: X as a float within :data:`KRS_MIN`..:data:`KRS_MAX`, or one of
    ``words`` kept as written (``words=("normals",)``). Anything else stops the command
    with one line naming ``--krs``, the value and the range, exit status 2 (argparse's own
    for a bad option), before the command starts."""

    def __init__(self, *args: Any, words: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.words = tuple(words)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        text = str(values)
        if text in self.words:
            setattr(namespace, self.dest, text)
            return
        refusal = krs_refusal(text, self.words)
        if refusal is not None:
            parser.exit(2, f"{parser.prog}: {refusal}\n")
        setattr(namespace, self.dest, float(text))
