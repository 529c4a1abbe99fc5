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
* **a wait**: nothing ran and nothing waited for a CPU: the loop's own call blocked on a
  lock, I/O or an ``fsync``; its stack, taken while it was late, says where.

Linux keeps, for every thread, the time it ran and the time it waited runnable in the run
queue (``/proc/self/task/<tid>/schedstat``: ``cpu_ns run_queue_wait_ns timeslices``).
:func:`sample` reads them (about 0.2 ms of CPU for 26 threads on the development machine);
:func:`explain` compares two samples around a late slot and gives a :class:`StallReport`.
Where procfs is missing (not Linux) the samples are empty and the report says so; the stacks
(:func:`stacks_now`) are taken everywhere.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Sample", "StallReport", "ThreadTimes", "explain", "sample", "stacks_now"]

TASKS = Path("/proc/self/task")
STACK_FRAMES = 6  # innermost frames kept per thread: enough to see the call that waits
# a cause is named when it accounts for at least this share of the lateness
CAUSE_SHARE = 0.5


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
        frames = traceback.extract_stack(frame)[-STACK_FRAMES:]
        out[label] = " < ".join(
            f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames)
        )
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
) -> StallReport:
    """Why the loop on thread ``loop_tid`` (a native id) was ``late_s`` late, from the two
    samples around it; ``stacks`` (:func:`stacks_now`, taken while it was late) are added."""
    span_s = after.at_s - before.at_s
    deltas = _delta(before, after)
    cpu_s = sum(d.cpu_s for _, d in deltas)
    loop = next((d for tid, d in deltas if tid == loop_tid), None)
    # runnable (on a CPU or waiting for one) the longest: the GIL's holder, if one held it
    others = sorted((d for tid, d in deltas if tid != loop_tid), key=lambda d: -_runnable_s(d))
    busiest = others[0] if others else None
    need_s = CAUSE_SHARE * late_s
    if loop is None:
        cause, why = "unknown", "no per-thread CPU accounting here (no /proc/self/task)"
    elif loop.waited_s >= need_s:
        cause = "machine"
        why = (
            f"its thread waited {loop.waited_s * 1000:.0f} ms for a CPU: the CPUs were busy "
            f"(this process ran {cpu_s * 1000:.0f} ms of CPU over the {span_s:.1f} s; "
            "the rest was other processes)"
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
