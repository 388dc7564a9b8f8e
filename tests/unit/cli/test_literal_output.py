"""The CLI's consoles print text literally (``markup=False``); colour is given with ``styled``.

A rich markup tag left in a message would print as-is, so none may appear in the CLI's sources.
"""

from __future__ import annotations

import re
from pathlib import Path

CLI = Path(__file__).resolve().parents[3] / "src" / "featurevault" / "cli"
MARKUP = re.compile(
    r"\[/?(red|green|yellow|blue|bold|dim|italic|cyan|magenta)\b[^\]]*\]"
    r"|f\"\[\{\w+\}\]"  # a style spliced in as markup: f"[{style}]..."
    r"|\[/\]"  # rich's closing tag
)


def test_no_rich_markup_tags_in_cli_messages() -> None:
    found = [
        f"{path.name}:{n}: {line.strip()}"
        for path in sorted(CLI.glob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if MARKUP.search(line)
    ]
    assert found == []
