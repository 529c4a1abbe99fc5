"""A late control slot explains itself: the machine, a thread holding the GIL, or a wait.

The verdicts are judged on samples built by hand (the rule), then on real stalls made in
this process: a call blocked on a lock (its stack names where) and a thread holding the GIL
(named by its CPU time while the ticker's thread slept)."""

from __future__ import annotations

import gc
import logging
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from controller.daemon.stallwitness import (
    GcPause,
    GcPauses,
    Sample,
    StallReport,
    ThreadTimes,
    explain,
    sample,
    stacks_now,
)
from controller.daemon.ticker import Ticker

LOOP = 1  # the loop's thread id in the hand-built samples
PERIOD_S = 0.25
STALL_MS = 900.0  # the stalls made below last over a second
HOG = 2


def _samples(loop: tuple[float, float], hog: tuple[float, float], span_s: float = 5.0):
    before = Sample(
        100.0, {LOOP: ThreadTimes("tick:control", 1.0, 1.0), HOG: ThreadTimes("poll:x", 2.0, 2.0)}
    )
    after = Sample(
        100.0 + span_s,
        {
            LOOP: ThreadTimes("tick:control", 1.0 + loop[0], 1.0 + loop[1]),
            HOG: ThreadTimes("poll:x", 2.0 + hog[0], 2.0 + hog[1]),
        },
    )
    return before, after


def test_a_loop_kept_off_the_cpus_is_the_machine() -> None:
    before, after = _samples(loop=(0.01, 3.9), hog=(0.02, 0.1))
    report = explain(before, after, late_s=4.0, loop_tid=LOOP)
    assert report.cause == "machine"
    assert "waited 3900 ms for a CPU" in report.text
    assert report.late_ms == 4000.0 and report.span_s == 5.0


def test_a_thread_on_the_cpu_while_the_loop_slept_held_the_gil() -> None:
    before, after = _samples(loop=(0.01, 0.02), hog=(3.5, 0.3))
    report = explain(before, after, late_s=4.0, loop_tid=LOOP)
    assert report.cause == "thread"
    assert "thread poll:x ran 3500 ms" in report.text


def test_a_gil_holder_kept_off_the_cpus_is_the_machine_again() -> None:
    before, after = _samples(loop=(0.01, 0.02), hog=(0.2, 3.6))
    report = explain(before, after, late_s=4.0, loop_tid=LOOP)
    assert report.cause == "machine"
    assert "thread poll:x ran 200 ms and waited 3600 ms" in report.text


def test_a_full_collection_as_long_as_the_stall_is_the_collector() -> None:
    before, after = _samples(loop=(0.01, 0.02), hog=(1.9, 1.8))
    pauses = [GcPause(2, 104.0, 3.7, "poll:x")]
    report = explain(before, after, late_s=4.0, loop_tid=LOOP, gc_pauses=pauses)
    assert report.cause == "gc"
    assert "garbage collection held the GIL 3700 ms" in report.text
    assert "generation 2, 3700 ms on thread poll:x" in report.text


def test_collections_are_timed_with_their_generation_and_thread() -> None:
    pauses = GcPauses()
    pauses.start()
    try:
        heap = [[i] for i in range(1_000_000)]  # a full pass over it: well over 50 ms
        began = time.monotonic()
        gc.collect()
        ended = time.monotonic()
    finally:
        pauses.stop()
    del heap
    (full,) = [p for p in pauses.since(began) if p.generation == 2]
    assert full.thread == threading.current_thread().name
    assert began < full.ended_s <= ended and 0.05 <= full.lasted_s <= ended - began
    gc.collect()
    assert not pauses.since(ended)  # stopped: not timed any more


def test_nothing_running_or_waiting_is_a_wait_in_the_call() -> None:
    before, after = _samples(loop=(0.01, 0.02), hog=(0.1, 0.1))
    stacks = {"tick:control (1)": "store.py:10 commit < daemon.py:5 control_tick"}
    report = explain(before, after, late_s=4.0, loop_tid=LOOP, stacks=stacks)
    assert report.cause == "wait"
    assert "[tick:control (1)] store.py:10 commit" in report.text


def test_without_per_thread_accounting_the_cause_is_unknown() -> None:
    report = explain(Sample(0.0, {}), Sample(5.0, {}), late_s=4.0, loop_tid=LOOP)
    assert report.cause == "unknown"


def test_a_sample_reads_this_threads_cpu_time() -> None:
    me = threading.get_native_id()
    first = sample().threads[me]
    end = time.thread_time() + 0.05
    while time.thread_time() < end:
        pass
    second = sample().threads[me]
    assert second.name == threading.current_thread().name
    assert second.cpu_s - first.cpu_s >= 0.04


def test_stacks_now_names_each_thread_and_its_innermost_call() -> None:
    release = threading.Event()

    def parked_in_a_named_wait() -> None:
        release.wait(10)

    t = threading.Thread(target=parked_in_a_named_wait, name="parked")
    t.start()
    try:
        time.sleep(0.05)
        stacks = stacks_now()
    finally:
        release.set()
        t.join()
    (parked,) = [v for k, v in stacks.items() if k.startswith("parked (")]
    assert "parked_in_a_named_wait" in parked


@pytest.fixture
def long_switch_interval() -> Iterator[None]:
    """A thread keeps the GIL until it blocks (30 s between forced switches)."""
    was = sys.getswitchinterval()
    sys.setswitchinterval(30.0)
    try:
        yield
    finally:
        sys.setswitchinterval(was)


def _run_until_a_stall(ticker: Ticker, make_stall: threading.Event) -> StallReport:
    """The report of the stall ``make_stall`` makes (the longest: a loaded machine may
    make the loop lose a slot of its own)."""
    ticker.start()
    try:
        time.sleep(0.5)  # a few calls on time first
        make_stall.set()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(
            s.late_ms >= STALL_MS for s in ticker.stalls()
        ):
            time.sleep(0.05)
    finally:
        assert ticker.stop()
    return max(ticker.stalls(), key=lambda s: s.late_ms)


def test_a_call_blocked_on_a_lock_reports_the_wait_and_where(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store_lock = threading.Lock()
    stall = threading.Event()
    blocked = threading.Event()

    def waits_for_the_store_lock() -> None:
        with store_lock:
            pass

    def tick() -> None:
        if stall.is_set() and not blocked.is_set():
            blocked.set()
            waits_for_the_store_lock()

    def holder() -> None:
        with store_lock:
            stall.set()
            time.sleep(1.6)

    ticker = Ticker("test", tick, PERIOD_S, stall_after_s=0.3)
    go = threading.Event()
    t = threading.Thread(target=lambda: go.wait(10) and holder(), name="holder")
    t.start()
    with caplog.at_level(logging.WARNING, logger="controller.daemon.ticker"):
        report = _run_until_a_stall(ticker, go)
    t.join()
    assert report.cause in ("wait", "machine"), report.text  # a loaded machine may add to it
    assert "waits_for_the_store_lock" in report.text  # the loop's own stack, taken while late
    assert "holder" in report.text  # ... and the thread that held the lock, asleep in it
    logged = [r.getMessage() for r in caplog.records if " lost (the loop was " in r.getMessage()]
    assert any("waits_for_the_store_lock" in m for m in logged)


def test_a_thread_holding_the_gil_is_named(long_switch_interval: None) -> None:
    go = threading.Event()
    done = threading.Event()

    def hog_the_gil() -> None:
        go.wait(10)
        end = time.thread_time() + 1.5  # of its own CPU time, whatever the machine's load
        while time.thread_time() < end:  # pure Python: the GIL is never released
            pass
        done.wait(30)  # alive until the report is made: an ended thread's times are gone

    ticker = Ticker("test", lambda: None, PERIOD_S, stall_after_s=0.3)
    t = threading.Thread(target=hog_the_gil, name="gil-hog")
    t.start()
    try:
        report = _run_until_a_stall(ticker, go)
    finally:
        done.set()
        t.join()
    # the hog named as the holder; "machine" only if it was itself mostly off the CPUs
    assert "thread gil-hog ran" in report.text, report.text
    assert report.cause in ("thread", "machine")


def test_a_witness_that_cannot_read_the_threads_does_not_stop_the_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unreadable(*args: object, **kwargs: object) -> Sample:
        raise RuntimeError("procfs gone")

    monkeypatch.setattr("controller.daemon.stallwitness.sample", unreadable)
    monkeypatch.setattr("controller.daemon.stallwitness.stacks_now", unreadable)
    stall = threading.Event()
    stalled = threading.Event()

    def tick() -> None:
        if stall.is_set() and not stalled.is_set():
            stalled.set()
            time.sleep(1.2)

    ticker = Ticker("test", tick, PERIOD_S, stall_after_s=0.3)
    report = _run_until_a_stall(ticker, stall)
    assert report.cause == "unknown", report.text
    assert ticker.stats().ticks >= 3  # on time before, the stalled one, and on after it
