"""qanat's controller: the box's daemon and the tools around it, in rooms.

Rooms, from the bottom up; each may import the rooms listed before it, and what its line
names (``tests/test_layers.py`` and the import-linter contracts in ``pyproject.toml`` hold
these rules):

- ``clock``, ``errors``, ``paths``: the one clock; the exception tree's root and branches;
  where data lives, what the package ships. Stdlib.
- ``config/``: the site file (schema, cross-checks), page overrides, bundled examples.
  Also drivers (device profiles) and models (crop and soil libraries).
- ``store/`` and ``migrations/``: the box's database (SQLite WAL). sqlmodel, alembic.
- ``access/``: page accounts, roles and sessions.
- ``runtime/``: field I/O, live values, poller, telemetry, leased outputs, sequencer, safety
  supervisor, head works, fail-safe start, systemd notify. Also drivers.
- ``learning/``: site learning jobs (flow signatures, probe calibration, soil fits,
  moisture forecast) training ``models.learning`` on the store's data. Also models.
- ``agronomy/``: weather and ET0, water balance, planning, baseline practice, fertigation
  plan and runs, savings ledger. Also models, and runtime's types.
- ``daemon/``: the composition root; wires runtime and agronomy, schedules the jobs
  (apscheduler), and the service the web layer talks to.
- ``office/``: the central office's tools: export rows, pull, central database, reports.
- ``simulation/``: season scenarios on a virtual clock against the simulated field.
- ``cli/``: the ``qanat`` command, one module per subcommand.

``runtime`` and ``agronomy`` never import ``office``, ``simulation`` or ``cli``; ``runtime``
never imports ``learning``, ``agronomy`` or ``daemon``; nothing in ``controller`` imports ``web``.
"""
