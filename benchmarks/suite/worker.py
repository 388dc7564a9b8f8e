"""featurevault's and the floor's worker: ``python -m benchmarks.suite.worker featurevault|floor``.

Run from the repository root with ``src`` on the path; answers the steps of
:mod:`benchmarks.suite.protocol` (the comparator's worker answers the same).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from benchmarks.suite.protocol import serve


def server_argv(repo_dir: str, port: int) -> list[str]:
    """featurevault's server with its defaults (one worker), without its access log."""
    cli = [sys.executable, "-m", "featurevault._cli.main", "-c", repo_dir]
    return [*cli, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-access-log"]


def featurevault_handlers() -> dict[str, Callable[..., dict]]:
    import featurevault
    import featurevault.types

    from benchmarks.suite.store_workloads import StoreWorkloads

    return StoreWorkloads(featurevault, featurevault.types, server_argv).handlers()


def floor_handlers() -> dict[str, Callable[..., dict]]:
    from benchmarks.suite.floor import Floor

    floor = Floor()
    names = ("setup", "historical", "materialize", "online_read", "serve_start", "serve_stop", "teardown")
    return {name: getattr(floor, name) for name in names}


def main(argv: list[str]) -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    system = argv[1] if len(argv) > 1 else ""
    factories = {"featurevault": featurevault_handlers, "floor": floor_handlers}
    if system not in factories:
        raise SystemExit(f"usage: python -m benchmarks.suite.worker {'|'.join(factories)}")
    serve(factories[system]())


if __name__ == "__main__":
    main(sys.argv)
