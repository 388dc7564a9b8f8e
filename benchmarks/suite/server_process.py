"""Start and stop an HTTP feature server as a child process on loopback (standard library only)."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request


def start(argv: list[str], health_url: str, timeout_s: float = 90.0) -> subprocess.Popen:
    """Run ``argv`` and return once ``health_url`` answers (its output goes to our stderr)."""
    proc = subprocess.Popen(argv, stdout=sys.stderr, stderr=sys.stderr)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server {argv[0]} exited with {proc.returncode} before answering {health_url}")
        try:
            with urllib.request.urlopen(health_url, timeout=2):
                return proc
        except OSError:
            time.sleep(0.3)
    stop(proc)
    raise RuntimeError(f"server {argv[0]} did not answer {health_url} within {timeout_s}s")


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
