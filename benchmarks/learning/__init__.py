"""Learning from a site's own data, evaluated: ``python -m benchmarks.learning [--quick]``.

Each part (a module of this package named in :data:`PARTS`) simulates what it needs (soils
that differ from the configured ones, faults at random times drawn from ``--seed``), trains
the product's own learned model on it, and returns its figures; :mod:`.__main__` prints one
JSON line per part and a last line with every goal met or not. Numbers, measured in the run
that prints them: nothing here is a constant.

A part is a module with ``NAME`` (its JSON ``part``), ``GOALS`` (figure name → ``(">=" | "<=",
bound)``) and ``run(seed: int, quick: bool) -> dict[str, float | int | str]``. A part of
:data:`SEEDED_PARTS` runs several seeds from ``--seed`` (``run(..., seeds=N)`` with
``--seeds N``) and returns each seed's figures as ``per_seed``, printed a line each; it takes
``rows`` (``--rows a,b``: only those of its rows) too. A part of :data:`ROW_PARTS` takes
``rows`` alone: optional rows it prints only when asked (the forecast's ``shadow`` and
``probe_level``).
"""

from __future__ import annotations

# The parts, in the order they print. Each is imported by __main__ when run.
PARTS: tuple[str, ...] = ("flow", "forecast", "calibration", "soil", "canopy", "referee")
# The parts that take ``seeds``: their figures are over that many seeds from ``--seed``.
SEEDED_PARTS: tuple[str, ...] = ("referee",)
# The parts that take ``rows`` without ``seeds``: rows printed only when asked.
ROW_PARTS: tuple[str, ...] = ("forecast",)
