"""``--lat``, ``--lon``, ``--elev``, ``--wind-height``: a station's numbers checked as options.

Each is checked when argparse reads it, by the rule :mod:`models.et0` applies to it
(:data:`models.et0.STATION_RULES`, one source), so a value outside it stops the command
with one line naming the option and the value as typed (``qanat et0: --lat 98: latitude
outside -90..90``), exit status 2 (argparse's own for a bad option), before any file is
read; not the functions' ``lat_deg[station 0] = 98.0`` about an array the user never saw.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from models.et0 import station_problem

__all__ = ["StationOption"]


class StationOption(argparse.Action):
    """A float option checked by ``STATION_RULES[rule]`` (``rule="lat_deg"``, …)."""

    def __init__(self, *args: Any, rule: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rule = rule

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        text = str(values)
        option = option_string or self.option_strings[0]
        try:
            value = float(text)
        except ValueError:
            parser.exit(2, f"{parser.prog}: {option} {text}: not a number\n")
        problem = station_problem(self.rule, value)
        if problem is not None:
            parser.exit(2, f"{parser.prog}: {option} {text}: {problem}\n")
        setattr(namespace, self.dest, value)
