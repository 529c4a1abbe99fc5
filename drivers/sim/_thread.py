"""Run an asyncio service in a background thread, from sync code.

Shared by the Modbus and control servers: ``start()`` returns once the
service listens (or raises its start-up error in the caller's thread),
``stop()`` asks the loop to finish and joins the thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable

__all__ = ["BackgroundService"]


class BackgroundService:
    """One thread with one event loop running ``opener`` until :meth:`stop`.

    ``opener`` starts listening and returns a coroutine function that closes
    the service again.
    """

    def __init__(self, name: str, opener: Callable[[], Awaitable[Callable[[], Awaitable[None]]]]):
        self._name = name
        self._opener = opener
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout_s: float = 10.0) -> None:
        if self._thread is not None:
            raise RuntimeError(f"{self._name} already started")
        self._ready.clear()
        self._error = None
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout_s):
            raise TimeoutError(f"{self._name} did not start within {timeout_s} s")
        if self._error is not None:
            self._thread.join()
            self._thread = None
            raise self._error

    def stop(self, timeout_s: float = 10.0) -> None:
        thread, loop, stop = self._thread, self._loop, self._stop
        if thread is None:
            return
        if loop is not None and stop is not None and not loop.is_closed():
            # The loop may end between the check and the call.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        thread.join(timeout_s)
        self._thread = None

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # handed to the thread that called start()
            self._error = exc
        finally:
            self._ready.set()

    async def _main(self) -> None:
        closer = await self._opener()
        try:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            self._ready.set()
            await self._stop.wait()
        finally:
            await closer()
