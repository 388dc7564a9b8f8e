"""Timing and statistics every benchmark uses: the suite (``python -m benchmarks run``) and the
standalone ``python -m benchmarks.bench_*`` scripts alike.

- :func:`percentile` (``q`` a fraction: 0.5, 0.99), :func:`median`, :func:`p99`, :func:`summarise`;
- :func:`timed` (one call) and :func:`interleave` (named calls in turn, A B A B, so that noise from
  the shared machine falls on every side alike);
- :func:`ratio_line`: the one-line report of a side against its floor;
- :func:`peak_rss_mb`, :func:`current_rss_mb` (this process's memory), :func:`free_port`.
"""

from __future__ import annotations

import os
import resource
import socket
import statistics
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any


def percentile(values: Iterable[float], q: float) -> float:
    """The ``q`` quantile (0 <= q <= 1) of ``values``: the sample nearest to rank ``q * (n - 1)``."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of no samples")
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"percentile q={q!r}: give a fraction between 0 and 1 (0.99, not 99)")
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def median(values: Iterable[float]) -> float:
    return statistics.median(values)


def p99(values: Iterable[float]) -> float:
    return percentile(values, 0.99)


def summarise(values: Iterable[float]) -> dict[str, float]:
    """``median``, ``p99`` and ``min`` of the samples."""
    ordered = sorted(values)
    return {"median": statistics.median(ordered), "p99": percentile(ordered, 0.99), "min": ordered[0]}


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds one call of ``fn`` took, and what it returned."""
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def interleave(calls: Mapping[str, Callable[[], Any]], repeat: int) -> dict[str, list[float]]:
    """``repeat`` rounds, each calling every one of ``calls`` once in turn; seconds per call, by name."""
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeat):
        for name, fn in calls.items():
            samples[name].append(timed(fn)[0])
    return samples


def repeated(fn: Callable[[], Any], repeats: int, *, warmup: bool = True) -> list[float]:
    """Seconds of ``repeats`` calls of ``fn`` in a row (after one untimed call with ``warmup``)."""
    if warmup:
        fn()
    return [timed(fn)[0] for _ in range(repeats)]


def ratio_line(title: str, samples: Mapping[str, list[float]], ours: str, floor: str, target: float) -> str:
    """One report line: both sides' median and p99 (ms), the ratio of medians against ``target``."""
    med = {name: statistics.median(values) for name, values in samples.items()}
    ratio = med[ours] / med[floor]
    return (
        f"{title} ({len(samples[ours])} runs each): {ours} median {med[ours] * 1000:.1f} ms "
        f"(p99 {p99(samples[ours]) * 1000:.1f}), {floor} median {med[floor] * 1000:.1f} ms "
        f"(p99 {p99(samples[floor]) * 1000:.1f}); ratio of medians {ratio:.3f}x (target <= {target}x) "
        f"{'OK' if ratio <= target else 'OVER'}"
    )


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MiB.

    Read from VmHWM, the high-water mark of this process's own memory map. ``ru_maxrss``
    is not used where VmHWM exists: Linux carries it over from the parent across
    fork/vfork + exec, so a child of a large parent would report the parent's size.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    """This process's resident set size now (Linux /proc; 0 where that is not available)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


__all__ = [
    "current_rss_mb",
    "free_port",
    "interleave",
    "median",
    "p99",
    "peak_rss_mb",
    "percentile",
    "ratio_line",
    "repeated",
    "summarise",
    "timed",
]
