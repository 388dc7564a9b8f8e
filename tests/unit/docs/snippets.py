"""Fenced code blocks of README.md and docs/*.md, and how each one is checked.

A block runs only when the line just before its fence is a marker comment:

* ``<!-- test: run -->`` before a ``python`` or ``bash`` block: the block runs. The blocks of one
  page run in order, in a copy of the demo repo (``featurevault init`` + ``apply`` +
  ``materialize-incremental``); a ``cd`` in a bash block carries over to the next block; Python
  blocks share one namespace, with ``store`` bound to the repo of the current directory.
* ``<!-- test: skip (reason) -->`` before a block: never run or loaded (needs a cluster, a live
  server, credentials); the reason is required.

Every ``yaml`` block not marked ``skip`` is parsed; one whose top-level keys are all
``feature_store.yaml`` keys is loaded by the real config loader (a fragment gets ``project:`` added).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>```+|~~~+)\s*(?P<lang>[\w+-]*)")
_MARKER = re.compile(r"<!--\s*test:\s*(?P<verb>run|skip)\b(?P<rest>.*?)-->")


@dataclass(frozen=True)
class Block:
    """One fenced block: where it is, its language, its marker verb (``run``/``skip``/``""``), its text."""

    page: str
    line: int
    lang: str
    marker: str
    reason: str
    text: str

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def doc_pages() -> list[Path]:
    """README.md and every markdown page under docs/ (generated reference pages included)."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def blocks_of(path: Path) -> list[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    page = str(path.relative_to(ROOT))
    found: list[Block] = []
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        fence, indent = opening.group("fence"), opening.group("indent")
        marker, reason = _marker_before(lines, i)
        body: list[str] = []
        j = i + 1
        while j < len(lines) and not lines[j].strip().startswith(fence):
            body.append(lines[j][len(indent) :] if lines[j].startswith(indent) else lines[j])
            j += 1
        found.append(Block(page, i + 1, opening.group("lang").lower(), marker, reason, "\n".join(body) + "\n"))
        i = j + 1
    return found


def _marker_before(lines: list[str], index: int) -> tuple[str, str]:
    k = index - 1
    while k >= 0 and not lines[k].strip():
        k -= 1
    match = _MARKER.search(lines[k]) if k >= 0 else None
    if not match:
        return "", ""
    return match.group("verb"), match.group("rest").strip(" ():")


def all_blocks() -> list[Block]:
    return [block for page in doc_pages() for block in blocks_of(page)]


def runnable_pages() -> dict[str, list[Block]]:
    """Pages with at least one ``run`` block, each with its run blocks in order."""
    pages: dict[str, list[Block]] = {}
    for block in all_blocks():
        if block.marker == "run":
            pages.setdefault(block.page, []).append(block)
    return pages
