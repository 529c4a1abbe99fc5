"""Fits in a short-lived child process, so scikit-learn never enters the daemon's.

scikit-learn is the box's training library, and importing it costs a process about 100 MB
of resident memory for as long as it lives. :func:`in_child` runs one fit in a fresh
interpreter (``multiprocessing``'s *spawn* start method: no copy of the daemon's threads or
sockets), hands it plain arguments (arrays, numbers, data classes of them) and takes back
a plain result, then the child exits and its memory is returned.

The fit's own errors (:class:`~models.learning.errors.TooLittleDataError`,
:class:`~models.learning.errors.LearningInputError`, ...) are raised again in the caller
as they were raised in the child. A child that dies (killed for memory, a crash in native
code), outlives ``timeout_s`` (then killed), or cannot start raises
:class:`~models.learning.errors.FitProcessError`: the caller keeps its plain rules.

Starting the child costs an interpreter and the fit's imports: 1.4-1.5 s of CPU and a peak
of 156 MiB for a flow signature's fit on a 2-core x86-64 machine (docs/deploy.md, with the
command; a Pi is slower): a fit is worth one, a query never is.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

from models.learning.errors import FitProcessError

__all__ = ["DEFAULT_TIMEOUT_S", "Fitted", "Runner", "in_child", "in_process"]

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 300.0  # a fit of a few hundred samples takes well under a second


class Fitted(Generic[T]):
    """A child's result and the CPU seconds (s) the child spent, start-up included."""

    __slots__ = ("cpu_s", "value")

    def __init__(self, value: T, cpu_s: float) -> None:
        self.value = value
        self.cpu_s = cpu_s


Runner = Callable[..., "Fitted[Any]"]
"""Where a fit runs: :func:`in_child` (the daemon) or :func:`in_process`."""


def in_process(
    fit: Callable[..., T], *args: Any, timeout_s: float = DEFAULT_TIMEOUT_S
) -> Fitted[T]:
    """``fit(*args)`` in this process (scikit-learn then enters it): for the benchmarks and
    tests that fit thousands of times and judge the results, not the daemon. ``timeout_s``
    is not enforced; ``cpu_s`` is 0 (no child: the time is the caller's own)."""
    return Fitted(fit(*args), 0.0)


def in_child(fit: Callable[..., T], *args: Any, timeout_s: float = DEFAULT_TIMEOUT_S) -> Fitted[T]:
    """``fit(*args)`` run in a new child process; its result with the child's CPU time.

    ``fit`` must be a module-level function (the child imports it by name). Raises what
    ``fit`` raised, or :class:`FitProcessError` naming ``fit`` when the child crashed, hung
    past ``timeout_s`` seconds or could not start."""
    name = f"{fit.__module__}.{fit.__qualname__}"
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_serve, args=(send, fit, args), name=f"fit {name}", daemon=True)
    try:
        child.start()
    except Exception as exc:  # no process or memory left for one: the caller falls back
        receive.close()
        send.close()
        raise FitProcessError(f"{name}: the fit's process could not start ({exc})") from exc
    send.close()  # the child holds the only writer: its death ends the pipe
    try:
        if not receive.poll(timeout_s):
            raise FitProcessError(f"{name}: the fit's process gave no answer in {timeout_s:g} s")
        try:
            ok, value, cpu_s = receive.recv()
        except (EOFError, OSError) as exc:
            child.join(timeout=5.0)
            raise FitProcessError(
                f"{name}: the fit's process ended without an answer (exit code {child.exitcode})"
            ) from exc
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join()
        child.close()
    if not ok:
        if isinstance(value, BaseException):
            raise value
        raise FitProcessError(f"{name}: {value}")
    return Fitted(value, cpu_s)


def _serve(send: Connection, fit: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """The child: one fit, its answer ``(ok, value or error, cpu_s)`` sent back."""
    try:
        try:
            answer: tuple[bool, Any, float] = (True, fit(*args), time.process_time())
        except Exception as exc:
            answer = (False, exc, time.process_time())
        try:
            send.send(answer)
        except Exception as exc:  # an error or a result that does not pickle
            send.send((False, f"{type(answer[1]).__name__}: {answer[1]} ({exc})", 0.0))
    finally:
        send.close()
