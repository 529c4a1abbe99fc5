"""The heap a daemon starts on, set aside from the garbage collector while its loops run.

CPython's full (generation 2) collection walks every container object of the process and
holds the GIL from start to end: no other thread, the control tick included, runs until it
ends. Its pause grows with the heap, not with the garbage: on the development machine about
0.3 µs of CPU per object, 622 ms for 2.2 million objects, and 1.8 s of wall time when both
cores were busy with other processes (``tests/integration/test_scale_hang.py`` with a heap
that large lost a control slot to it; docs/reliability.md). Most of a daemon's heap is made
before its loops start and lives as long as it does: modules, the site, the profiles, the
store's metadata, the simulator's devices in a test, a test worker's earlier tests.

:func:`set_aside` moves everything alive at the start of the loops into the collector's
permanent generation (``gc.freeze``): full collections then walk only what was made since.
:func:`give_back` returns it when the last running daemon of the process stops (``gc.unfreeze``),
so a process that starts daemons one after the other (the test suite) collects between them.
Garbage already unreachable at the start is kept until then: it is not collected first, which
would cost a full pass over a test worker's heap at every start.
"""

from __future__ import annotations

import gc
import threading

__all__ = ["give_back", "set_aside"]

_lock = threading.Lock()
_running = 0  # daemons whose loops run in this process


def set_aside() -> None:
    """Freeze the heap as it is now (a daemon's loops are about to start).

    ``gc.freeze`` only links the generations' lists onto the permanent one; the frozen count
    is not asked for (``gc.get_freeze_count`` walks that list: 195 ms of CPU over a test
    worker's 1.7 million objects, the GIL held)."""
    global _running
    with _lock:
        _running += 1
        gc.freeze()


def give_back() -> None:
    """A daemon's loops stopped: the last one returns the frozen heap to the collector."""
    global _running
    with _lock:
        _running = max(0, _running - 1)
        if _running == 0:
            gc.unfreeze()
