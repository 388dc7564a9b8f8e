"""docs/lint.md lists every rule with a good and a bad example."""

from __future__ import annotations

from pathlib import Path

from featurevault._quality.lint import RULES

DOC = Path(__file__).resolve().parents[3] / "docs" / "lint.md"


def test_every_rule_is_documented_with_a_good_and_a_bad_example() -> None:
    rows = {}
    for line in DOC.read_text().splitlines():
        if line.startswith("| FV"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0].split()[0]] = cells
    assert sorted(rows) == sorted(RULES)
    for rule_id, cells in rows.items():
        assert len(cells) == 4 and all(cells), rule_id
        assert RULES[rule_id].name in cells[0]
        assert ("always error" in cells[0]) == RULES[rule_id].always_error
