"""``qanat backup`` / ``qanat restore`` carry what the box learned (``models/``): a restored
box's own loaders find its flow signatures and a calibration dry-down in progress; a model
file of another format is refused and relearned there as anywhere; an archive made before
the models were kept restores as before."""

from __future__ import annotations

import datetime as dt
import json
import random
import tarfile
from pathlib import Path

import pytest

from benchmarks.learning.flow import record_run
from controller.agronomy.drydown import DryDownState, DryDownStates
from controller.cli import main
from controller.cli.backup import backup, contents, restore
from controller.clock import VirtualClock
from controller.config.site import load_site
from controller.learning.files import models_dir_of
from controller.learning.flow import FlowLearning
from controller.store import Store
from models.learning import Persisted, model_file, save_model
from models.learning.child import in_process
from models.learning.flow import FORMAT_VERSION, KIND
from tests.helpers.site import DEMO_SITE

T0 = dt.datetime(2026, 5, 1, 4, 0, tzinfo=dt.UTC)
HOLDING = DryDownState("z1", 0.7, "holding", requested_at=T0.isoformat(), since="2026-05-02")


def _learned_box(data: Path) -> float:
    """A data directory whose zone z2 learned its flow signature from six runs and whose
    zone z1 holds a calibration dry-down; the signature's normal flow (m³/h)."""
    site = load_site(DEMO_SITE)
    clock = VirtualClock(T0)
    rng = random.Random(5)
    with Store.open_dir(data, clock=clock) as store:
        models = models_dir_of(store)
        job = FlowLearning(lambda: site, store, models, runner=in_process)
        for _ in range(6):
            record_run(store, clock, "z2", 20, 93.0 * (1 + rng.gauss(0, 0.01)), 45, rng)
            clock.advance(3600)
        job.check()
        status = job.status("z2")
        assert status.learned and status.normal_m3h is not None
        DryDownStates(models).put(HOLDING)
    return status.normal_m3h


def test_a_restored_box_finds_its_flow_signature_and_its_dry_down(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    normal_m3h = _learned_box(tmp_path / "src")
    (tmp_path / "src" / "models" / "flow" / "z2.tmp").write_bytes(b"half a model")
    out = tmp_path / "a.tar.gz"
    assert main(["backup", "--data-dir", str(tmp_path / "src"), str(out)]) == 0
    said = capsys.readouterr().out
    assert "2 learned model files (calibration 1, flow 1)" in said, said
    with tarfile.open(out) as tar:
        assert not [n for n in tar.getnames() if n.endswith(".tmp")]  # a write in progress

    target = tmp_path / "restored"
    assert main(["restore", str(out), "--data-dir", str(target)]) == 0
    assert "2 learned model files (calibration 1, flow 1)" in capsys.readouterr().out
    site = load_site(DEMO_SITE)
    with Store.open_dir(target, clock=VirtualClock(T0 + dt.timedelta(days=1))) as store:
        models = models_dir_of(store)
        assert models == target / "models"
        status = FlowLearning(lambda: site, store, models, runner=in_process).status("z2")
        assert status.learned and status.normal_m3h == pytest.approx(normal_m3h, abs=1e-9)
        assert DryDownStates(models).get("z1") == HOLDING
        assert DryDownStates(models).get("z2") is None


def test_a_restored_model_of_another_format_is_refused_and_relearned(tmp_path: Path) -> None:
    data = tmp_path / "src"
    clock, rng = VirtualClock(T0), random.Random(2)
    with Store.open_dir(data, clock=clock) as store:
        for _ in range(2):
            record_run(store, clock, "z1", 20, 91.0, 45, rng)
            clock.advance(3600)
    foreign = Persisted(KIND, "z1", FORMAT_VERSION + 1, T0, 30, "a model of a newer qanat")
    save_model(data / "models", foreign)
    target = tmp_path / "restored"
    restore(backup(data, tmp_path / "a.tar.gz").archive, target)
    assert model_file(target / "models", KIND, "z1").is_file()
    site = load_site(DEMO_SITE)
    with Store.open_dir(target, clock=VirtualClock(T0 + dt.timedelta(days=1))) as store:
        job = FlowLearning(lambda: site, store, models_dir_of(store), runner=in_process)
        job.check()  # never raises
        (event,) = [e for e in store.events() if e.code == "model_unavailable"]
        assert event.source == "z1" and f"format {FORMAT_VERSION + 1}" in event.message
        status = job.status("z1")
        assert not status.learned and status.have == 2  # relearning from the restored runs


def test_an_archive_made_before_the_models_were_kept_restores_as_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "src"
    with Store.open_dir(data) as store:
        store.create_token("office", "viewer")
    made = backup(data, tmp_path / "made.tar.gz").archive
    with tarfile.open(made) as tar:  # the members an archive made before held...
        assert sorted(tar.getnames()) == ["manifest.json", "qanat.db"]
        tar.extractall(tmp_path / "members", filter="data")
    manifest = tmp_path / "members" / "manifest.json"
    fields = json.loads(manifest.read_text(encoding="utf-8"))
    del fields["keeps"]  # ...and its manifest, which named no part besides the database
    manifest.write_text(json.dumps(fields), encoding="utf-8")
    old = tmp_path / "old.tar.gz"
    with tarfile.open(old, "w:gz") as tar:
        for name in ("qanat.db", "manifest.json"):
            tar.add(tmp_path / "members" / name, name)
    assert contents(old).models == {}
    target = tmp_path / "target"
    kept = DryDownStates(target / "models")
    kept.put(HOLDING)  # models already there: an archive without any leaves them
    assert main(["restore", str(old), "--data-dir", str(target), "--force"]) == 0
    assert "no learned models" in capsys.readouterr().out
    with Store.open_dir(target) as store:
        assert [t.name for t in store.tokens()] == ["office"]
    assert DryDownStates(target / "models").get("z1") == HOLDING


def test_an_archive_with_models_replaces_the_models_there(tmp_path: Path) -> None:
    data = tmp_path / "src"
    with Store.open_dir(data):
        pass
    DryDownStates(data / "models").put(HOLDING)
    target = tmp_path / "target"
    with Store.open_dir(target):
        pass
    other = DryDownState("z3", 0.6, "requested")
    DryDownStates(target / "models").put(other)  # another box's, or of before
    restore(backup(data, tmp_path / "a.tar.gz").archive, target, force=True)
    restored = DryDownStates(target / "models")
    assert restored.get("z1") == HOLDING and restored.get("z3") is None
    assert sorted(p.name for p in target.iterdir()) == ["models", "qanat.db"]


def test_an_archive_of_a_box_that_learned_nothing_leaves_nothing_of_the_box_restored_over(
    tmp_path: Path,
) -> None:
    """Box A had neither learned models nor page settings; restored over box B with --force,
    B's are gone too: the restored box is A, not A with B's models."""
    data = tmp_path / "a"
    with Store.open_dir(data):
        pass
    target = tmp_path / "b"
    with Store.open_dir(target):
        pass
    DryDownStates(target / "models").put(HOLDING)
    (target / "site.overrides.toml").write_text("[policy]\n", encoding="utf-8")
    restore(backup(data, tmp_path / "a.tar.gz").archive, target, force=True)
    assert DryDownStates(target / "models").get("z1") is None
    assert not (target / "site.overrides.toml").exists()
    assert sorted(p.name for p in target.iterdir()) == ["models", "qanat.db"]
