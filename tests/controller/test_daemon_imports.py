"""scikit-learn is the training library, never part of the daemon's process.

A fresh interpreter builds what ``qanat run`` builds for the demo site (its site, store,
daemon and web app), runs the learning jobs once, loads a trained flow signature from its
model file (and refuses one of the older format, which pickled the estimator), and must not
have imported scikit-learn (about 100 MB of a small box's memory).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import sys
from pathlib import Path

from benchmarks.learning.flow import record_run
from controller.clock import VirtualClock
from controller.learning.flow import FlowLearning
from controller.store import Store
from models.learning import Persisted, save_model
from models.learning.child import in_process
from models.learning.flow import KIND
from tests.helpers.site import quick_site

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import datetime as dt
import sys
from pathlib import Path

import controller.cli
import web.app
import web.cli_run
from controller.clock import VirtualClock
from controller.daemon.daemon import Daemon
from controller.store import Store
from tests.helpers.site import quick_site
from controller.daemon.service import DaemonService
from web.app import create_app
from web.pages import PagesConfig

tmp = Path(sys.argv[1])
site = quick_site(tmp)
clock = VirtualClock(dt.datetime(2026, 6, 1, 4, 0, tzinfo=dt.UTC))
with Store.open_dir(tmp / "data", clock=clock) as store:
    daemon = Daemon(site, store, clock)
    service = DaemonService(daemon, data_dir=tmp / "data", site_file=site)
    create_app(service, store, pages=PagesConfig(data_dir=tmp / "data", tz=site.site.tz))
    daemon.flow_learning.check()
    daemon.agronomy.probes.states()
    assert daemon.flow_learning.status("z1").learned, "the trained signature was not loaded"
    assert not daemon.flow_learning.status("z2").learned
print(" ".join(sorted(m for m in sys.modules if m.split(".")[0] == "sklearn")))
"""


def trained_models(tmp_path: Path) -> None:
    """A trained flow signature for z1 and one of the older format for z2, in the data
    directory the daemon will open (trained here: this process may import scikit-learn)."""
    from sklearn.linear_model import HuberRegressor

    site = quick_site(tmp_path)
    clock = VirtualClock(dt.datetime(2026, 5, 1, 4, 0, tzinfo=dt.UTC))
    rng = random.Random(5)
    with Store.open_dir(tmp_path / "data", clock=clock) as store:
        for _ in range(5):
            record_run(store, clock, "z1", 20, 91.0, 45, rng, pressure_kpa=250)
            clock.advance(3600)
        job = FlowLearning(lambda: site, store, tmp_path / "data" / "models", runner=in_process)
        job.check()
        assert job.status("z1").learned
    older = HuberRegressor().fit([[0.0], [0.0], [0.0]], [91.0, 91.5, 90.5])
    save_model(tmp_path / "data" / "models", Persisted(KIND, "z2", 1, clock.now(), 3, older))


def sklearn_modules_of_a_daemon(tmp_path: Path) -> list[str]:
    trained_models(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_the_daemon_never_imports_scikit_learn(tmp_path: Path) -> None:
    assert sklearn_modules_of_a_daemon(tmp_path) == []
