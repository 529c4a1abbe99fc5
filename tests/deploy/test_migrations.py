"""Schema migrations: the baseline is today's schema; old databases are brought to head;
a database from a newer qanat is refused and left untouched."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlmodel import SQLModel

from controller.store import (
    MeterMark,
    ProbeSample,
    RunSource,
    RunState,
    Severity,
    Store,
    StoreVersionError,
    migrate,
)


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


def _revision(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]


def _schema_diff(db: Path) -> list[object]:
    engine = create_engine(_url(db))
    try:
        with engine.connect() as conn:
            return list(compare_metadata(MigrationContext.configure(conn), SQLModel.metadata))
    finally:
        engine.dispose()


def _populate(store: Store) -> None:
    store.raise_event(Severity.WARNING, "test", "z1", "before the upgrade")
    store.create_token("office", "viewer")
    store.record_audit("li-wei", "start", {"zone": "z1"})


def test_head_and_baseline_are_the_shipped_revisions() -> None:
    revisions = migrate.known_revisions()
    assert revisions[0] == migrate.BASELINE
    assert revisions[-1] == migrate.HEAD


def test_baseline_to_head_on_an_empty_database_is_the_models_schema(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    engine = create_engine(_url(db))
    with engine.begin() as conn:
        migrate.upgrade(conn)
    engine.dispose()
    assert _revision(db) == [migrate.HEAD]
    assert _schema_diff(db) == []
    with Store(_url(db)) as store:  # opens as current: nothing re-created, usable
        _populate(store)
        assert len(store.tokens()) == 1


def test_a_fresh_store_is_stamped_head_with_the_same_schema(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    Store(_url(db)).close()
    assert _revision(db) == [migrate.HEAD]
    assert _schema_diff(db) == []


def test_populated_database_from_before_migrations_is_stamped_and_kept(tmp_path: Path) -> None:
    db = tmp_path / "legacy.db"
    with Store(_url(db)) as store:
        _populate(store)
    with sqlite3.connect(db) as conn:  # as the release before migrations left it
        conn.execute("DROP TABLE alembic_version")
    with Store(_url(db)) as store:
        assert [e.message for e in store.events()] == ["before the upgrade"]
        assert [t.name for t in store.tokens()] == ["office"]
    assert _revision(db) == [migrate.HEAD]
    assert _schema_diff(db) == []


def test_database_from_a_newer_qanat_is_refused_and_untouched(tmp_path: Path) -> None:
    db = tmp_path / "newer.db"
    with Store(_url(db)) as store:
        _populate(store)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0042_from_the_future'")
    before = db.read_bytes()
    with pytest.raises(StoreVersionError) as err:
        Store(_url(db))
    assert isinstance(err.value, migrate.SchemaRevisionError)
    assert err.value.revision == "0042_from_the_future" and err.value.head == migrate.HEAD
    assert "0042_from_the_future" in str(err.value) and "newer qanat" in str(err.value)
    assert _revision(db) == ["0042_from_the_future"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 1
    assert len(db.read_bytes()) == len(before)


def test_a_store_at_0002_gains_the_run_meter_table_and_keeps_its_open_run(
    tmp_path: Path,
) -> None:
    db = tmp_path / "r0002.db"
    with Store(_url(db)) as store:
        run = store.plan_run("z1", RunSource.MANUAL, 10)
        assert run.id is not None
        store.start_run(run.id)
        store.update_run_progress(run.id, 1.25)
    with sqlite3.connect(db) as conn:  # as 0002_notify_outbox left it
        conn.execute("DROP TABLE run_meter")
        conn.execute("UPDATE alembic_version SET version_num = '0002_notify_outbox'")
    with Store(_url(db)) as store:
        (open_run,) = store.open_runs()
        assert open_run.id == run.id and open_run.applied_m3 == 1.25
        assert store.run_meter(run.id) is None
        at = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
        store.update_run_progress(run.id, 1.5, meter=MeterMark("flow1", 120.5, at))
        mark = store.run_meter(run.id)
        assert mark is not None and (mark.device, mark.total_m3, mark.time) == ("flow1", 120.5, at)
        store.finish_run(run.id, RunState.INTERRUPTED, "daemon restarted")
        assert store.run_meter(run.id) is None  # ended: the mark goes with it
    assert _revision(db) == [migrate.HEAD]
    assert _schema_diff(db) == []


def _at(hour: int) -> datetime:
    return datetime(2026, 6, 1, hour, 0, tzinfo=UTC)


def test_a_store_at_0003_gains_the_probe_samples_table_and_keeps_its_data(
    tmp_path: Path,
) -> None:
    db = tmp_path / "r0003.db"
    with Store(_url(db)) as store:
        _populate(store)
    with sqlite3.connect(db) as conn:  # as 0003_run_meter left it
        conn.execute("DROP TABLE probe_samples")
        conn.execute("UPDATE alembic_version SET version_num = '0003_run_meter'")
    with Store(_url(db)) as store:
        assert [e.message for e in store.events()] == ["before the upgrade"]
        assert store.probe_samples() == []
        row = store.add_probe_sample(
            ProbeSample(
                device="probe1",
                point="moisture",
                sampled_at=_at(8),
                theta_pct=24.5,
                method="gravimetric",
                raw_pct=28.0,
                raw_source="store",
                entered_by="li",
            )
        )
        assert row.id == 1 and row.entered_at is not None
        (back,) = store.probe_samples("probe1", "moisture")
        assert (back.theta_pct, back.raw_pct, back.sampled_at) == (24.5, 28.0, _at(8))
        assert store.last_probe_sample_id() == 1
    assert _revision(db) == [migrate.HEAD] == ["0004_probe_samples"]
    assert _schema_diff(db) == []


def test_0004_downgrades_to_0003_and_upgrades_again(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    db = tmp_path / "down.db"
    with Store(_url(db)) as store:
        _populate(store)
    engine = create_engine(_url(db))
    with engine.begin() as conn:  # as migrate.upgrade runs alembic: on an open connection
        config = Config()
        config.set_main_option("script_location", str(migrate.MIGRATIONS_DIR))
        config.attributes["connection"] = conn
        command.downgrade(config, "0003_run_meter")
    engine.dispose()
    assert _revision(db) == ["0003_run_meter"]
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "probe_samples" not in tables and "events" in tables
    with Store(_url(db)) as store:  # opening upgrades it again
        assert store.probe_samples() == []
        assert [e.message for e in store.events()] == ["before the upgrade"]
    assert _revision(db) == ["0004_probe_samples"]
    assert _schema_diff(db) == []
