"""Blocking store calls, run off the event loop with a deadline.

A read of a network online store or the registry can hang (server frozen,
network cut). Run on the event loop, it would freeze every other request of
the worker, ``/health`` and ``/metrics`` included. :class:`Offloader` hands
such a call to a small pool of its own threads and waits for it without
blocking the loop; when the deadline passes first, the caller gets
:class:`~featurevault.errors.OnlineStoreTimeoutError` (answered 503 with
``Retry-After``) and the thread finishes, or fails on the backend's own
timeout, in the background.

It is leaner than ``run_in_threadpool``: one ``SimpleQueue`` put, one future,
one ``call_soon_threadsafe`` back, and no task or cancel scope per call.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")

_Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", contextvars.Context, Callable[..., Any], tuple[Any, ...]]


class Offloader:
    """Run blocking calls on ``threads`` daemon threads; await them with a deadline."""

    def __init__(self, threads: int = 8, name: str = "featurevault-store") -> None:
        self.threads = threads
        self.name = name
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._started: list[threading.Thread] = []
        self._lock = threading.Lock()

    async def run(self, timeout: float, on_timeout: Callable[[], BaseException], fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a thread, in the caller's context; ``on_timeout()`` is raised after ``timeout`` s."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._submit((loop, future, contextvars.copy_context(), fn, args))
        timer = loop.call_later(timeout, _expire, future, on_timeout)
        try:
            return await future
        finally:
            timer.cancel()

    def _submit(self, job: _Job) -> None:
        if not self._started:
            self._start()
        self._jobs.put(job)

    def _start(self) -> None:
        with self._lock:
            while len(self._started) < self.threads:
                thread = threading.Thread(target=self._work, name=f"{self.name}-{len(self._started)}", daemon=True)
                thread.start()
                self._started.append(thread)

    def _work(self) -> None:
        jobs = self._jobs
        while True:
            job = jobs.get()
            if job is None:
                return
            loop, future, context, fn, args = job
            if future.done():  # its deadline passed while it waited for a thread: nobody wants the answer
                continue
            try:
                result = context.run(fn, *args)
            except BaseException as exc:  # noqa: BLE001 - handed to the awaiting request
                _deliver(loop, future, _set_exception, exc)
            else:
                _deliver(loop, future, _set_result, result)

    def close(self) -> None:
        """Let the threads exit once the calls they hold return."""
        with self._lock:
            for _ in self._started:
                self._jobs.put(None)
            self._started = []


def _deliver(loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any], setter: Any, value: Any) -> None:
    try:
        loop.call_soon_threadsafe(setter, future, value)
    except RuntimeError:  # the loop closed while the call ran (shutdown)
        pass


def _set_result(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


def _set_exception(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)


def _expire(future: asyncio.Future[Any], on_timeout: Callable[[], BaseException]) -> None:
    if not future.done():
        future.set_exception(on_timeout())
