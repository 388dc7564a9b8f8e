"""``--sizes`` of ``benchmarks.bench_spark_scale``: row counts with optional k/M/B suffixes."""

from __future__ import annotations

import argparse

import pytest

from benchmarks.bench_spark_scale import parse_sizes


def test_plain_suffixed_and_exponent_counts() -> None:
    assert parse_sizes("1000000,10000000,50000000") == [1_000_000, 10_000_000, 50_000_000]
    assert parse_sizes(" 1M, 10m ,5e7,250k,1_000") == [1_000_000, 10_000_000, 50_000_000, 250_000, 1_000]
    assert parse_sizes("1.5M,") == [1_500_000]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1M,ten", "'ten' is not a row count"),
        ("0", "'0' is not a positive whole row count"),
        ("1.5", "'1.5' is not a positive whole row count"),
        ("-3k", "'-3k' is not a positive whole row count"),
        (" , ", "no row count given"),
    ],
)
def test_bad_sizes_are_named(text: str, message: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        parse_sizes(text)
