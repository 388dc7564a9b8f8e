"""Shared test set-up: subprocesses (CLI, servers) import the same featurevault as the tests."""

from __future__ import annotations

import os
from pathlib import Path

import featurevault

_SRC = str(Path(featurevault.__file__).resolve().parent.parent)
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (_SRC, os.environ.get("PYTHONPATH", "")) if p)
