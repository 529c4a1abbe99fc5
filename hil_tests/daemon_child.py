"""The daemon in a process of its own, for the kill -9 scenario (``hil_tests/test_kill9.py``).

``python -m hil_tests.daemon_child SITE.toml DATA_DIR ZONE MINUTES [N_KG]``: start the daemon
with its scheduler on the system clock, start one run (with ``N_KG``, a fertigation run dosing
that many kg of N), print its id, and keep running until killed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from controller.clock import SystemClock
from controller.config.site import load_site
from controller.daemon.daemon import Daemon
from controller.runtime.sequencer import Recipe
from controller.store import Store


def main(argv: list[str]) -> int:
    site_path, data_dir, zone, minutes, *n_kg = argv
    site = load_site(Path(site_path))
    store = Store.open_dir(Path(data_dir))
    daemon = Daemon(site, store, SystemClock())
    daemon.start()
    recipe = Recipe(kg={"N": float(n_kg[0])}) if n_kg else None
    run_id = daemon.sequencer.start(zone, float(minutes), "manual", recipe=recipe, actor="hil")
    print(run_id, flush=True)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
