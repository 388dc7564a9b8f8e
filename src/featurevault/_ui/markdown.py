"""Runbooks rendered from Markdown for the dashboard: raw HTML in the source is escaped, never passed through."""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _renderer() -> Any:
    from markdown_it import MarkdownIt

    # ``html=False``: tags in a runbook show as text; markdown-it refuses javascript:/data: links itself.
    return MarkdownIt("commonmark", {"html": False}).enable("table")


@lru_cache(maxsize=256)
def render_markdown(text: str) -> str:
    """Safe HTML for ``text`` (CommonMark plus tables); a page of alerts sharing a runbook renders it once."""
    return str(_renderer().render(text))
