"""The dashboard's reuse of costly aggregates: kept for their ttl, computed aside when a page must not wait."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from featurevault._ui import cache


@pytest.fixture(autouse=True)
def empty() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def test_a_value_is_reused_within_its_ttl_and_recomputed_after() -> None:
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert cache.reused("k", 60.0, compute) == 1
    assert cache.reused("k", 60.0, compute) == 1
    assert cache.reused("k", 0.0, compute) == 2  # a ttl of 0 never reuses
    assert cache.reused("other", 60.0, compute) == 3  # keys are separate
    assert cache.reused("k", None, compute) == 2  # no ttl: kept while asked for


def test_reused_or_started_answers_none_first_then_the_value_computed_aside() -> None:
    release = threading.Event()
    done = threading.Event()

    def compute() -> str:
        release.wait(5)
        done.set()
        return "report"

    assert cache.reused_or_started("r", 60.0, compute) is None
    assert cache.reused_or_started("r", 60.0, compute) is None  # one computation at a time
    release.set()
    assert done.wait(5)
    for _ in range(100):  # the thread stores the value just after compute() returns
        if cache.reused_or_started("r", 60.0, compute) is not None:
            break
        threading.Event().wait(0.01)
    assert cache.reused_or_started("r", 60.0, compute) == "report"


def test_a_failed_computation_aside_keeps_nothing_and_can_be_retried() -> None:
    finished = threading.Event()

    def broken() -> str:
        finished.set()
        raise RuntimeError("boom")

    assert cache.reused_or_started("b", 60.0, broken) is None
    assert finished.wait(5)
    for _ in range(100):
        if "b" not in cache._running:
            break
        threading.Event().wait(0.01)
    assert cache.reused("b", 60.0, lambda: "fixed") == "fixed"
