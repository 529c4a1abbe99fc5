"""Many sites at once in worker processes: a district's pull not limited by one interpreter.

:func:`pull_processes` hands the sites to ``processes`` worker processes (forked from a
clean ``forkserver``, never from the caller: each opens its own connection to the office
database). The forkserver imports this module and the caller's main module once
(:func:`_preload`): multiprocessing runs the main module again in each worker, which
with its imports already loaded costs no import (it cost the benchmark's workers 3 CPU-s
each, more than pulling 400,000 rows). Each worker runs
:func:`controller.office.pull.pull_site` on one site at a time, so the exactly-once
guarantees are the single-site ones. Rows stored are reported to ``progress`` page by page
through a queue. A worker whose parent died (``kill -9`` of ``qanat pull``) stops before
its next page; the page in flight is committed whole or not at all.

For PostgreSQL (SQLite takes one writer at a time: :func:`~controller.office.pull.pull_all`'s
threads are enough there).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from controller.office.central import CentralDB, CentralError
from controller.office.pull import (
    PAGE_ROWS,
    BoxClient,
    Progress,
    PullError,
    SiteResult,
    SiteSpec,
    log,
    pull_site,
)

__all__ = ["pull_processes"]

_worker: dict[str, Any] = {}


class _QueueProgress:
    def __init__(self, queue: Any, parent: int) -> None:
        self.queue = queue
        self.parent = parent

    def update(self, n: int) -> None:
        try:
            os.kill(self.parent, 0)  # the caller (not our parent: the forkserver is)
        except ProcessLookupError:
            raise SystemExit(1) from None  # the caller is gone: stop before the next page
        self.queue.put(n)


def _preload() -> list[str]:
    """Modules the forkserver imports for every worker: this one, and the caller's main
    module when it was run by name (``python -m``); a main run from a path (the ``qanat``
    script) is cheap to run again and not imported under another name."""
    main = sys.modules.get("__main__")
    name = getattr(getattr(main, "__spec__", None), "name", None)
    if not isinstance(name, str) or name == "__main__" or name.endswith(".__main__"):
        return [__name__]
    return [__name__, "controller.office.pull_forkserver", name]


def _start(url: str, queue: Any, parent: int) -> None:
    _worker["db"] = CentralDB(url, schema=False)  # made by the caller, before the workers
    _worker["progress"] = _QueueProgress(queue, parent)


def _pull_one(spec: SiteSpec, page_rows: int) -> SiteResult:
    db: CentralDB = _worker["db"]
    started = time.monotonic()
    try:
        result = pull_site(db, BoxClient(spec), page_rows=page_rows, progress=_worker["progress"])
    except (PullError, CentralError) as exc:
        log.error("pull %s failed: %s", spec.id, exc)
        result = SiteResult(spec.id, error=str(exc), seconds=time.monotonic() - started)
    try:
        db.record_pull(spec.id, spec.url, result.error)
    except CentralError as exc:
        result.error = result.error or str(exc)
    return result


def pull_processes(
    url: str,
    sites: Iterable[SiteSpec],
    *,
    processes: int = 4,
    page_rows: int = PAGE_ROWS,
    progress: Progress | None = None,
) -> list[SiteResult]:
    """Pull every site into the database at ``url``, ``processes`` workers at a time; a
    failed site is reported in its :class:`SiteResult`, the others go on (results in the
    order of ``sites``)."""
    specs = list(sites)
    if not specs:
        return []
    CentralDB(url).close()  # the schema (and its migration) once, before the workers
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_preload())  # workers forked with the modules imported
    queue = context.Queue()
    done = threading.Event()

    def relay() -> None:
        while not done.is_set() or not queue.empty():
            try:
                n = queue.get(timeout=0.2)
            except Exception:  # queue.Empty: look at done again
                continue
            if progress is not None:
                progress.update(n)

    reader = threading.Thread(target=relay, name="pull-progress", daemon=True)
    reader.start()
    try:
        with ProcessPoolExecutor(
            max_workers=max(1, min(processes, len(specs))),
            mp_context=context,
            initializer=_start,
            initargs=(url, queue, os.getpid()),
        ) as pool:
            return list(pool.map(_pull_one, specs, [page_rows] * len(specs)))
    finally:
        done.set()
        reader.join(5)
        queue.close()
