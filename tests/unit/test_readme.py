"""The README's Python example runs as written, on the demo repo's data."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from featurevault.cli.scaffold import scaffold

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_python_example_runs(tmp_path: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README has no python example"
    repo = tmp_path / "repo"
    scaffold(repo)
    (repo / "features.py").unlink()
    code = blocks[0] + "\nassert len(training) == 2 and online['conv_rate'][0] is not None\nprint('ok')\n"
    out = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("ok")
