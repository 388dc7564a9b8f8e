"""Starlette's TestClient, imported without its warning about preferring the ``httpx2`` package.

The project depends on httpx (the client uses it); the warning is about the test client's transport only.
"""

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

__all__ = ["TestClient"]
