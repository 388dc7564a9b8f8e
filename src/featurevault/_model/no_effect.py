"""Feast parameters accepted for compatibility that change nothing here: said once per process in the log."""

from __future__ import annotations

import logging

logger = logging.getLogger("featurevault.compat")
_said: set[str] = set()


def note_no_effect(what: str) -> None:
    """Log once that ``what`` is accepted but has no effect (see docs/feast-compatibility.md)."""
    if what not in _said:
        _said.add(what)
        logger.info("%s is accepted for Feast compatibility and has no effect in featurevault", what)


__all__ = ["note_no_effect"]
