"""What the process did while a fixed-rate loop was late: a late slot explains itself.

A control loop that misses its 1 s slot has one of three causes, and they need different
fixes:

* **the machine**: the loop's thread was runnable but waited for a CPU (other processes,
  or this one's own threads, had every core);
* **a thread of the process**: another thread was runnable (on a CPU) about as long as the
  loop was late while the loop's thread did not wait for a CPU: it waited for the GIL that
  thread held (a long C call, a compile), which the kernel counts as sleeping. When that
  thread itself mostly waited for a CPU, the machine is the cause again (the holder of the
  GIL was kept off the CPUs);
* **the garbage collector**: a collection holds the GIL from start to end, and a full one
  walks every container object of the process (about 0.3 µs each on the development
  machine: 2.2 million objects, 622 ms of CPU, 1.8 s with the CPUs busy); :class:`GcPauses`
  times the collections, a special case of the thread above;
* **a wait**: nothing ran and nothing waited for a CPU: the loop's own call blocked on a
  lock, I/O or an ``fsync``; its stack, taken while it was late, says where.

Linux keeps, for every thread, the time it ran and the time it waited runnable in the run
queue (``/proc/self/task/<tid>/schedstat``: ``cpu_ns run_queue_wait_ns timeslices``).
:func:`sample` reads them (0.32 ms of CPU for 26 threads on the development machine, once per slot);
:func:`explain` compares two samples around a late slot and gives a :class:`StallReport`.
Where procfs is missing (not Linux) the samples are empty and the report says so; the stacks
(:func:`stacks_now`) are taken everywhere.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "GcPause",
    "GcPauses",
    "Sample",
    "StallReport",
    "ThreadTimes",
    "explain",
    "sample",
    "stacks_now",
]

TASKS = Path("/proc/self/task")
STACK_FRAMES = 6  # innermost frames kept per thread: enough to see the call that waits
# a cause is named when it accounts for at least this share of the lateness
CAUSE_SHARE = 0.5
GC_PAUSE_KEPT_S = 0.05  # collections at least this long are remembered (seconds)
GC_PAUSES_KEPT = 32


@dataclass(frozen=True, slots=True)
class ThreadTimes:
    """One thread's CPU time and run-queue wait since it started (seconds)."""

    name: str
    cpu_s: float  # on a CPU
    waited_s: float  # runnable, waiting for a CPU


@dataclass(frozen=True, slots=True)
class Sample:
    """Every thread's times at ``at_s`` (monotonic seconds), by native thread id."""

    at_s: float
    threads: Mapping[int, ThreadTimes]


@dataclass(frozen=True, slots=True)
class StallReport:
    """Why a loop was ``late_ms`` late, judged over the ``span_s`` between two samples."""

    cause: str  # "machine", "thread", "wait" or "unknown" (no procfs)
    late_ms: float
    span_s: float
    text: str  # one paragraph for the journal: the cause, the threads, the stacks


@dataclass(frozen=True, slots=True)
class GcPause:
    """One garbage collection: its generation, when it ended (monotonic s), how long (s)."""

    generation: int
    ended_s: float
    lasted_s: float
    thread: str


class GcPauses:
    """The process's collections of at least :data:`GC_PAUSE_KEPT_S`, timed by a
    ``gc.callbacks`` hook (a function call per collection); ``start()`` / ``stop()``."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._began: dict[int, float] = {}  # by thread ident: a collection runs on one thread
        self._kept: deque[GcPause] = deque(maxlen=GC_PAUSES_KEPT)
        self._lock = threading.Lock()

    def start(self) -> None:
        if self._hook not in gc.callbacks:
            gc.callbacks.append(self._hook)

    def stop(self) -> None:
        if self._hook in gc.callbacks:
            gc.callbacks.remove(self._hook)

    def since(self, at_s: float) -> list[GcPause]:
        """The kept collections that ended after ``at_s`` (monotonic s), oldest first."""
        with self._lock:
            return [p for p in self._kept if p.ended_s > at_s]

    def _hook(self, phase: str, info: dict[str, int]) -> None:
        now = self._monotonic()
        me = threading.get_ident()
        if phase == "start":
            self._began[me] = now
            return
        began = self._began.pop(me, None)
        if began is not None and now - began >= GC_PAUSE_KEPT_S:
            pause = GcPause(info["generation"], now, now - began, threading.current_thread().name)
            with self._lock:
                self._kept.append(pause)


def _names() -> dict[int, str]:
    return {t.native_id: t.name for t in threading.enumerate() if t.native_id is not None}


def sample(tasks: Path = TASKS, monotonic: Callable[[], float] = time.monotonic) -> Sample:
    """Every thread's CPU time and run-queue wait now (empty where ``tasks`` is missing)."""
    names = _names()
    threads: dict[int, ThreadTimes] = {}
    try:
        tids = [int(p.name) for p in tasks.iterdir()]
    except OSError:
        tids = []
    for tid in tids:
        try:
            cpu_ns, wait_ns, _ = (
                int(v) for v in (tasks / str(tid) / "schedstat").read_bytes().split()
            )
        except (OSError, ValueError):  # the thread ended meanwhile, or no schedstats
            continue
        name = names.get(tid) or _comm(tasks, tid)
        threads[tid] = ThreadTimes(name, cpu_ns / 1e9, wait_ns / 1e9)
    return Sample(monotonic(), threads)


def _comm(tasks: Path, tid: int) -> str:
    try:
        return (tasks / str(tid) / "comm").read_text("utf-8").strip() or str(tid)
    except OSError:
        return str(tid)


def stacks_now(skip: int | None = None) -> dict[str, str]:
    """Every thread's innermost frames now, by ``name (tid)``, but thread ``skip`` (an ident)."""
    names = {t.ident: t for t in threading.enumerate()}
    out: dict[str, str] = {}
    for ident, frame in sys._current_frames().items():
        if ident == skip:
            continue
        t = names.get(ident)
        label = f"{t.name} ({t.native_id})" if t is not None else f"thread {ident}"
        # innermost first, no source lines read: a stall is no time for file reads
        frames = traceback.StackSummary.extract(
            traceback.walk_stack(frame), limit=STACK_FRAMES, lookup_lines=False
        )
        out[label] = " < ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in frames)
    return out


def _delta(before: Sample, after: Sample) -> list[tuple[int, ThreadTimes]]:
    """Each thread's CPU and wait over the span (a thread born meanwhile: since its birth)."""
    out = []
    for tid, now in after.threads.items():
        was = before.threads.get(tid, ThreadTimes(now.name, 0.0, 0.0))
        out.append((tid, ThreadTimes(now.name, now.cpu_s - was.cpu_s, now.waited_s - was.waited_s)))
    return out


def _runnable_s(t: ThreadTimes) -> float:
    return t.cpu_s + t.waited_s


def explain(
    before: Sample,
    after: Sample,
    late_s: float,
    loop_tid: int | None,
    stacks: Mapping[str, str] | None = None,
    gc_pauses: Sequence[GcPause] = (),
) -> StallReport:
    """Why the loop on thread ``loop_tid`` (a native id) was ``late_s`` late, from the two
    samples around it; ``stacks`` (:func:`stacks_now`, taken while it was late) are added,
    and the garbage collections of the span (:meth:`GcPauses.since`)."""
    span_s = after.at_s - before.at_s
    gc_s = sum(p.lasted_s for p in gc_pauses)
    deltas = _delta(before, after)
    cpu_s = sum(d.cpu_s for _, d in deltas)
    loop = next((d for tid, d in deltas if tid == loop_tid), None)
    # runnable (on a CPU or waiting for one) the longest: the GIL's holder, if one held it
    others = sorted((d for tid, d in deltas if tid != loop_tid), key=lambda d: -_runnable_s(d))
    busiest = others[0] if others else None
    need_s = CAUSE_SHARE * late_s
    if loop is None:
        cause, why = "unknown", "no per-thread CPU times read (no /proc/self/task, or unreadable)"
    elif loop.waited_s >= need_s:
        cause = "machine"
        why = (
            f"its thread waited {loop.waited_s * 1000:.0f} ms for a CPU: the CPUs were busy "
            f"(this process ran {cpu_s * 1000:.0f} ms of CPU over the {span_s:.1f} s; "
            "the rest was other processes)"
        )
    elif gc_s >= need_s:
        longest = max(gc_pauses, key=lambda p: p.lasted_s)
        cause = "gc"
        why = (
            f"garbage collection held the GIL {gc_s * 1000:.0f} ms (the longest: generation "
            f"{longest.generation}, {longest.lasted_s * 1000:.0f} ms on thread {longest.thread})"
        )
    elif busiest is not None and _runnable_s(busiest) >= need_s:
        held = (
            f"thread {busiest.name} ran {busiest.cpu_s * 1000:.0f} ms and waited "
            f"{busiest.waited_s * 1000:.0f} ms for a CPU while the loop's thread slept "
            f"(it waited {loop.waited_s * 1000:.0f} ms for a CPU): the loop waited for the GIL "
            "(or a lock) that thread held"
        )
        if busiest.waited_s > busiest.cpu_s:  # the holder itself was kept off the CPUs
            cause, why = "machine", held + ", and the CPUs were busy with other processes"
        else:
            cause, why = "thread", held
    else:
        cause = "wait"
        why = (
            f"no thread ran or waited for a CPU that long (the process ran {cpu_s * 1000:.0f} "
            f"ms of CPU over the {span_s:.1f} s): the loop's call waited on a lock, I/O or a "
            "sleep"
        )
    table = ", ".join(
        f"{d.name} cpu {d.cpu_s * 1000:.0f} ms wait {d.waited_s * 1000:.0f} ms"
        for d in ([loop] if loop else []) + others[:4]
    )
    text = f"cause: {cause}: {why}; threads over the span: {table or 'none read'}"
    if stacks:
        text += "; stacks while late: " + "; ".join(f"[{k}] {v}" for k, v in stacks.items())
    return StallReport(cause, round(late_s * 1000, 1), round(span_s, 3), text)
