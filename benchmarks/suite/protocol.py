"""Workers: long-lived subprocesses that run workload steps on request, one JSON line each way.

A worker keeps its store (and its memory) between steps, so that rounds of
different systems can be interleaved A B A B without paying start-up each
time, and it reports its own peak RSS (``ru_maxrss``) with every answer.
Library output that a comparator prints to stdout is sent to stderr, so the
protocol channel carries JSON only. Standard library only: the comparator's
environment imports this module too.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from benchmarks.suite.stats import current_rss_mb, peak_rss_mb

Handler = Callable[..., dict[str, Any]]


def _protocol_channel() -> IO[str]:
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    return channel


def serve(handlers: dict[str, Handler]) -> None:
    """Answer requests ``{"op": name, ...}`` from stdin until ``quit`` or end of input.

    A ``serve_stop`` handler, when there is one, runs on the way out, so that a server the
    worker started never outlives it (also when the parent stopped early).
    """
    try:
        _answer_requests(handlers)
    finally:
        if "serve_stop" in handlers:
            handlers["serve_stop"]()


def _answer_requests(handlers: dict[str, Handler]) -> None:
    channel = _protocol_channel()
    baseline = peak_rss_mb()
    for line in sys.stdin:
        request = json.loads(line)
        op = request.pop("op")
        if op == "quit":
            break
        try:
            result = handlers[op](**request)
            answer = {"ok": True, "result": result}
        except Exception as exc:  # a failed step is reported to the parent, which fails the run
            answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
        answer["peak_rss_mb"] = peak_rss_mb()
        answer["rss_mb"] = current_rss_mb()
        answer["baseline_rss_mb"] = baseline
        channel.write(json.dumps(answer) + "\n")


class WorkerError(RuntimeError):
    """A worker step failed or the worker died."""


class WorkerTimeout(WorkerError):
    """A worker step ran past its time limit (the worker has been stopped)."""


class Worker:
    """The parent's handle on one worker process."""

    def __init__(self, label: str, argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
        self.label = label
        self.log_path = cwd / "benchmarks" / ".work" / "logs" / f"{label}-{time.time_ns()}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True
        )
        self.peak_rss_mb = 0.0
        self.rss_mb = 0.0
        self.baseline_rss_mb = 0.0

    def call(self, op: str, timeout_s: float | None = None, **args: Any) -> dict[str, Any]:
        """Run one step; past ``timeout_s`` the worker is killed and :class:`WorkerTimeout` raised."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(json.dumps({"op": op, **args}) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise WorkerError(f"{self.label}: worker exited; see {self.log_path}") from None
        # one answer line per request, so nothing is left buffered between calls and select is exact
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout_s)
        if not ready:
            self.proc.kill()
            self.proc.wait()
            raise WorkerTimeout(f"{self.label}: {op} took longer than {timeout_s:.0f} s; worker stopped")
        line = self.proc.stdout.readline()
        if not line:
            raise WorkerError(f"{self.label}: worker died during {op!r}; see {self.log_path}")
        answer = json.loads(line)
        self.peak_rss_mb = answer["peak_rss_mb"]
        self.rss_mb = answer["rss_mb"]
        self.baseline_rss_mb = answer["baseline_rss_mb"]
        if not answer["ok"]:
            raise WorkerError(f"{self.label}: {op} failed: {answer['error']}\n{answer['traceback']}")
        return answer["result"]

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
                self.proc.stdin.close()
                self.proc.wait(timeout=60)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self._log.close()

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
