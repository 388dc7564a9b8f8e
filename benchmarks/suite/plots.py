"""PNG plots (matplotlib, headless), small enough to commit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

DPI = 80
STYLE = {"featurevault": "-o", "floor": ":s", "feast": "--^", "feast-file": "-.v"}


def _save(fig: Any, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def online_latency(rows: list[dict[str, Any]], path: Path) -> None:
    backends = sorted({r["backend"] for r in rows})
    fig, axes = plt.subplots(1, len(backends), figsize=(5 * len(backends), 3.6), squeeze=False)
    for ax, backend in zip(axes[0], backends):
        for system in sorted({r["system"] for r in rows}):
            mine = sorted(
                (r for r in rows if r["backend"] == backend and r["system"] == system), key=lambda r: r["batch"]
            )
            ax.plot(
                [r["batch"] for r in mine], [r["p50_ms"] for r in mine], STYLE.get(system, "-"), label=f"{system} p50"
            )
        ax.set(xscale="log", yscale="log", xlabel="entities per read", ylabel="ms", title=f"online read, {backend}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    _save(fig, path)


def historical_time(rows: list[dict[str, Any]], path: Path) -> None:
    sizes = sorted({r["feature_rows"] for r in rows})
    fig, axes = plt.subplots(1, len(sizes), figsize=(5 * len(sizes), 3.6), squeeze=False)
    for ax, size in zip(axes[0], sizes):
        for system in sorted({r["system"] for r in rows}):
            mine = sorted(
                (r for r in rows if r["feature_rows"] == size and r["system"] == system and r["median_s"] is not None),
                key=lambda r: r["entity_rows"],
            )
            ax.plot(
                [r["entity_rows"] for r in mine], [r["median_s"] for r in mine], STYLE.get(system, "-"), label=system
            )
        ax.set(
            xscale="log", yscale="log", xlabel="entity rows", ylabel="seconds", title=f"historical, {size:,} rows/view"
        )
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    _save(fig, path)


def materialize_rows(rows: list[dict[str, Any]], path: Path) -> None:
    backends = sorted({r["backend"] for r in rows})
    systems = sorted({r["system"] for r in rows})
    fig, ax = plt.subplots(figsize=(5, 3.6))
    width = 0.8 / len(systems)
    for i, system in enumerate(systems):
        values = [
            next((r["rows_per_s"] for r in rows if r["backend"] == b and r["system"] == system), 0) for b in backends
        ]
        ax.bar([j + i * width for j in range(len(backends))], values, width, label=system)
    ax.set_xticks([j + width * (len(systems) - 1) / 2 for j in range(len(backends))], backends)
    ax.set(ylabel="rows/s", yscale="log", title=f"materialization, {rows[0]['rows']:,} rows x 20 features")
    ax.grid(True, axis="y", which="both", alpha=0.3)
    ax.legend(fontsize=7)
    _save(fig, path)


def serve_throughput(rows: list[dict[str, Any]], path: Path) -> None:
    backends = sorted({r["backend"] for r in rows})
    fig, axes = plt.subplots(1, len(backends), figsize=(5 * len(backends), 3.6), squeeze=False)
    for ax, backend in zip(axes[0], backends):
        for system in sorted({r["system"] for r in rows}):
            mine = sorted(
                (r for r in rows if r["backend"] == backend and r["system"] == system), key=lambda r: r["concurrency"]
            )
            ax.plot([r["concurrency"] for r in mine], [r["rps"] for r in mine], STYLE.get(system, "-"), label=system)
        ax.set(
            xscale="log",
            yscale="log",
            xlabel="concurrent clients",
            ylabel="requests/s",
            title=f"HTTP serving, {backend}",
        )
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    _save(fig, path)
