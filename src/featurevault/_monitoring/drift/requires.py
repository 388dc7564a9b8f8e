"""scipy, imported where a statistic needs it; missing, it names the install extra."""

from __future__ import annotations

import importlib
from typing import Any

from featurevault.errors import MissingDependencyError


def scipy_module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        raise MissingDependencyError("drift statistics need scipy: pip install 'featurevault[monitoring]'") from None
