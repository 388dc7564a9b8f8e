"""The comparator's worker: run with ``benchmarks/.feast-venv/bin/python`` from the repository root.

It answers the same steps as featurevault's worker (see
:mod:`benchmarks.suite.protocol`), through the comparator's own API, on the
same parquet files; ``serve_start`` runs the comparator's own HTTP server.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.suite.protocol import serve  # noqa: E402
from benchmarks.suite.store_workloads import StoreWorkloads  # noqa: E402


def server_argv(repo_dir: str, port: int) -> list[str]:
    """The comparator's server with its defaults (one worker), without its access log.

    ``--max-requests 0``: its default recycles the worker every ~1000 requests, which
    would cut connections mid-measurement.
    """
    feast_cli = str(Path(sys.executable).parent / "feast")
    serve = ["serve", "-h", "127.0.0.1", "-p", str(port), "--no-access-log", "--max-requests", "0"]
    return [feast_cli, "-c", repo_dir, *serve]


def main() -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    os.environ.setdefault("FEAST_USAGE", "False")
    import feast
    import feast.types

    serve(StoreWorkloads(feast, feast.types, server_argv).handlers())


if __name__ == "__main__":
    main()
