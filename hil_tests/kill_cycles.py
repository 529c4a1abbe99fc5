"""kill -9 of the box's store writer, many times a minute: nothing acknowledged lost or doubled.

The daemon writes through :class:`controller.store.Store` only. Each cycle forks a writer
that does what the daemon's jobs do to the store — plans, starts, meters and ends runs,
raises alarms, records audit entries, buffers and flushes readings — and reports each
record on a pipe *after* the store committed it. The parent kills the writer with SIGKILL
at a random moment, then, as the restarted daemon would, opens the store (its integrity
check runs on open) and marks runs left running ``interrupted``. It then checks, against
what was acknowledged:

* ``records_lost``: an acknowledged run, run start, audit entry, event or reading missing;
* ``records_doubled``: any record (each carries a unique key) present twice;
* ``ledger_error_m3``: a run's recorded water differing from its last acknowledged progress
  (or from the one progress write the kill may have cut between commit and report);
* ``runs_left_open``: a run still ``running`` after the restart's recovery;
* ``store_corrupt``: the integrity check failing on open.

Forking from a parent that has imported the store makes a cycle cost the writer's random
lifetime, not an interpreter's start, so a thousand cycles take minutes. The relays and
the valves are not in this harness: ``tests/integration/test_crash_consistency.py`` kills
the whole daemon over its real Modbus relays (fewer cycles: each costs a process start).
"""

from __future__ import annotations

import os
import random
import select
import signal
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import col
from sqlmodel import select as sql_select

from controller.store import AuditEntry, Event, ReadingRow, Run, RunState, Store
from drivers.reading import Quality, Reading

__all__ = ["CycleFigures", "store_kill_cycles"]

KILL_AFTER_S = (0.02, 0.4)  # the writer's lifetime after it is ready, drawn uniformly
_READY = "ready"


@dataclass
class CycleFigures:
    """What the cycles found (every count but ``kill_cycles`` must be 0)."""

    kill_cycles: int = 0
    acknowledged: int = 0
    records_lost: int = 0
    records_doubled: int = 0
    ledger_error_m3: float = 0.0
    runs_left_open: int = 0
    store_corrupt: int = 0
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["problems"] = self.problems[:10]
        return out


@dataclass
class _Acked:
    """What the writers reported committed, over all cycles."""

    runs: set[str] = field(default_factory=set)  # key of each planned run
    started: set[str] = field(default_factory=set)
    progress_m3: dict[str, float] = field(default_factory=dict)  # last acknowledged water
    in_flight_m3: dict[str, float] = field(default_factory=dict)  # written, not yet reported
    finished: set[str] = field(default_factory=set)
    audit: set[str] = field(default_factory=set)
    events: set[str] = field(default_factory=set)
    readings: set[str] = field(default_factory=set)  # point name of each reading (unique)
    touched_runs: set[int] = field(default_factory=set)  # run ids reported since the last check

    def count(self) -> int:
        return len(self.runs) + len(self.audit) + len(self.events) + len(self.readings)


def store_kill_cycles(
    workdir: Path,
    cycles: int,
    seed: int,
    *,
    after_kill: Callable[[Path, int], None] | None = None,
) -> CycleFigures:
    """Run ``cycles`` kill cycles on one store in ``workdir``; see the module docstring.

    ``after_kill(data_dir, cycle)`` runs between each kill and its checks (tests use it to
    damage the store and see the checks catch it)."""
    data = workdir / "data"
    Store.open_dir(data).close()  # the schema, before any writer
    rng = random.Random(seed)
    acked = _Acked()
    figures = CycleFigures()
    seen = _Seen()
    for cycle in range(cycles):
        _one_cycle(data, cycle, rng, acked)
        figures.kill_cycles += 1
        if after_kill is not None:
            after_kill(data, cycle)
        full = cycle == cycles - 1 or (cycle + 1) % FULL_CHECK_EVERY == 0
        _check(data, acked, figures, cycle, seen, full=full)
        if figures.store_corrupt:
            break  # nothing more can be checked on a damaged store
    figures.acknowledged = acked.count()
    return figures


# -- one cycle -------------------------------------------------------------------------


def _one_cycle(data: Path, cycle: int, rng: random.Random, acked: _Acked) -> None:
    read_fd, write_fd = os.pipe()
    child_seed = rng.randrange(2**32)
    pid = os.fork()
    if pid == 0:  # the writer: never returns
        os.close(read_fd)
        try:
            _writer(data, cycle, child_seed, write_fd)
        except BaseException as exc:
            os.write(write_fd, f"error {exc!r}\n".encode())
        os._exit(1)
    os.close(write_fd)
    lines = _Lines(read_fd)
    try:
        if lines.wait_for(_READY, timeout_s=30.0) is None:
            raise RuntimeError(f"cycle {cycle}: the writer did not start")
        deadline = time.monotonic() + rng.uniform(*KILL_AFTER_S)
        while time.monotonic() < deadline:
            for line in lines.read(timeout_s=deadline - time.monotonic()):
                _note(line, acked)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        for line in lines.read_to_end():  # reported before the kill: committed
            _note(line, acked)
    finally:
        lines.close()


class _Lines:
    """Lines from a pipe, read without blocking past a timeout."""

    def __init__(self, fd: int) -> None:
        self.fd, self._tail = fd, b""

    def read(self, timeout_s: float) -> list[str]:
        ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout_s))
        if not ready:
            return []
        chunk = os.read(self.fd, 65536)
        if not chunk:
            return []
        return self._split(chunk)

    def read_to_end(self) -> list[str]:
        out: list[str] = []
        while chunk := os.read(self.fd, 65536):
            out.extend(self._split(chunk))
        return out  # a torn last line (the kill mid-write) is dropped

    def wait_for(self, wanted: str, timeout_s: float) -> str | None:
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            for line in self.read(end - time.monotonic()):
                if line == wanted:
                    return line
        return None

    def _split(self, chunk: bytes) -> list[str]:
        *whole, self._tail = (self._tail + chunk).split(b"\n")
        return [w.decode() for w in whole]

    def close(self) -> None:
        os.close(self.fd)


def _note(line: str, acked: _Acked) -> None:
    kind, key, *rest = line.split(" ")
    if kind == "error":
        raise RuntimeError(f"the writer failed: {line[6:]}")
    if kind == "run":
        acked.runs.add(f"{key}#{rest[0]}")
        acked.touched_runs.add(int(rest[0]))
    elif kind == "start":
        acked.started.add(key)
    elif kind == "writing":
        acked.in_flight_m3[key] = float(rest[0])
    elif kind == "progress":
        acked.progress_m3[key] = float(rest[0])
        acked.in_flight_m3.pop(key, None)
    elif kind == "finish":
        acked.progress_m3[key] = float(rest[0])
        acked.in_flight_m3.pop(key, None)
        acked.finished.add(key)
    elif kind == "audit":
        acked.audit.add(key)
    elif kind == "event":
        acked.events.add(key)
    elif kind == "readings":
        acked.readings.update(rest)


# -- the writer (in the forked child) --------------------------------------------------


def _writer(data: Path, cycle: int, seed: int, fd: int) -> None:
    rng = random.Random(seed)
    out = os.fdopen(fd, "w", buffering=1)  # line buffered: a report is one write

    def say(*words: object) -> None:
        out.write(" ".join(str(w) for w in words) + "\n")

    store = Store.open_dir(data)
    say(_READY)
    running: dict[str, tuple[int, float]] = {}  # key -> (run id, water so far m³)
    n = 0
    while True:
        n += 1
        key = f"c{cycle}-{n}"
        roll = rng.random()
        if roll < 0.15 or not running:
            run = store.plan_run(f"z{rng.randint(1, 4)}", "plan", 20.0)
            assert run.id is not None
            say("run", key, run.id)
            store.start_run(run.id)
            say("start", key)
            running[key] = (run.id, 0.0)
        elif roll < 0.55:
            rkey = rng.choice(sorted(running))
            run_id, water = running[rkey]
            water = round(water + rng.uniform(0.05, 0.5), 6)
            say("writing", rkey, water)
            store.update_run_progress(run_id, water)
            running[rkey] = (run_id, water)
            say("progress", rkey, water)
        elif roll < 0.65:
            rkey = rng.choice(sorted(running))
            run_id, water = running.pop(rkey)
            say("writing", rkey, water)
            store.finish_run(run_id, RunState.DONE, "planned length reached", applied_m3=water)
            say("finish", rkey, water)
        elif roll < 0.8:
            store.record_audit("kill-cycle", "write", {"key": key})
            say("audit", key)
        elif roll < 0.9:
            store.raise_event("info", "kill_cycle", "site", key)
            say("event", key)
        else:
            now = datetime.now(UTC)
            points = [f"{key}-{i}" for i in range(rng.randint(1, 50))]
            store.add_readings(
                Reading("kill-cycle", p, 1.0, "m3", Quality.OK, now + timedelta(microseconds=i))
                for i, p in enumerate(points)
            )
            store.flush()
            say("readings", key, *points)


# -- the restart and its checks --------------------------------------------------------


class _Seen:
    """What the store holds of the writers' records, counted incrementally by row id.

    Records are only ever added, so each check reads the rows added since the last one;
    every :data:`FULL_CHECK_EVERY` cycles, and after the last, everything is counted again
    from scratch, which finds a row that went missing or changed later."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.audit: Counter[str] = Counter()
        self.events: Counter[str] = Counter()
        self.readings: Counter[str] = Counter()
        self.last_id = {"audit": 0, "events": 0, "readings": 0}


FULL_CHECK_EVERY = 100


def _check(
    data: Path, acked: _Acked, figures: CycleFigures, cycle: int, seen: _Seen, *, full: bool
) -> None:
    def problem(text: str) -> None:
        figures.problems.append(f"cycle {cycle}: {text}")

    try:
        store = Store.open_dir(data)  # the integrity check runs here
    except Exception as exc:
        figures.store_corrupt += 1
        problem(f"store does not open: {exc}")
        return
    if full:
        seen.reset()
    try:
        store.interrupt_open_runs("kill-cycle restart")  # what the daemon's recovery does
        figures.runs_left_open += len(store.open_runs())
        run_ids = set(_run_keys(acked).values()) if full else acked.touched_runs
        with store.reading() as session:
            _count_new(session, seen)
            runs = {
                r.id: r
                for r in session.exec(sql_select(Run).where(col(Run.id).in_(sorted(run_ids))))
            }
    finally:
        store.close()
    lost = (
        (acked.audit - set(seen.audit))
        | (acked.events - set(seen.events))
        | (acked.readings - set(seen.readings))
    )
    doubled = [k for c in (seen.audit, seen.events, seen.readings) for k, v in c.items() if v > 1]
    keys = {k: v for k, v in _run_keys(acked).items() if v in run_ids}
    figures.records_lost = max(
        figures.records_lost, len(lost) + _runs_lost(acked, keys, runs, problem)
    )
    figures.records_doubled = max(figures.records_doubled, len(doubled))
    for key in sorted(lost)[:3]:
        problem(f"acknowledged record {key} missing")
    for key in doubled[:3]:
        problem(f"record {key} stored twice")
    error = _ledger_error(acked, keys, runs, problem)
    figures.ledger_error_m3 = max(figures.ledger_error_m3, error)
    acked.touched_runs = set()


def _count_new(session: Any, seen: _Seen) -> None:
    """Add the writers' rows stored since the last count to ``seen`` (Core reads: fast)."""
    tables = {
        "audit": (AuditEntry, AuditEntry.detail, col(AuditEntry.actor) == "kill-cycle"),
        "events": (Event, Event.message, col(Event.code) == "kill_cycle"),
        "readings": (ReadingRow, ReadingRow.point, col(ReadingRow.device) == "kill-cycle"),
    }
    for name, (table, column, mine) in tables.items():
        query = sa_select(col(table.id), column).where(mine, col(table.id) > seen.last_id[name])
        counter: Counter[str] = getattr(seen, name)
        for row_id, value in session.execute(query):
            counter[str(value.get("key")) if name == "audit" else str(value)] += 1
            seen.last_id[name] = max(seen.last_id[name], int(row_id))


def _runs_lost(
    acked: _Acked, keys: dict[str, int], runs: dict[int | None, Run], problem: Any
) -> int:
    """Acknowledged runs missing, or acknowledged starts and ends not in the store."""
    lost = 0
    for key, run_id in keys.items():
        run = runs.get(run_id)
        if run is None:
            lost += 1
            problem(f"acknowledged run {key} (id {run_id}) missing")
        elif key in acked.started and run.started_at is None:
            lost += 1
            problem(f"acknowledged start of run {key} missing")
        elif key in acked.finished and run.state != RunState.DONE.value:
            lost += 1
            problem(f"acknowledged end of run {key} missing (state {run.state})")
    return lost


def _run_keys(acked: _Acked) -> dict[str, int]:
    return {key: int(rid) for key, rid in (k.split("#") for k in acked.runs)}


def _ledger_error(
    acked: _Acked, keys: dict[str, int], runs: dict[int | None, Run], problem: Any
) -> float:
    worst = 0.0
    for key, run_id in keys.items():
        run = runs.get(run_id)
        if run is None:
            continue
        recorded = run.applied_m3 or 0.0
        expected = [acked.progress_m3.get(key, 0.0)]
        if key in acked.in_flight_m3:
            expected.append(acked.in_flight_m3[key])
        error = min(abs(recorded - e) for e in expected)
        if error > 1e-9:
            problem(f"run {key}: {recorded} m³ recorded, {expected} acknowledged")
        worst = max(worst, error)
    return worst
