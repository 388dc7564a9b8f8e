"""The README's Python example runs as written, on the demo repo's data."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from featurevault._cli.scaffold import scaffold

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_python_example_runs(tmp_path: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README has no python example"
    repo = tmp_path / "repo"
    scaffold(repo)
    (repo / "features.py").unlink()
    example = next(b for b in blocks if "store.apply(" in b)
    code = example + "\nassert len(training) == 2 and online['conv_rate'][0] is not None\nprint('ok')\n"
    out = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("ok")


def test_readme_push_example_changes_the_online_read(tmp_path: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    push_block = next(b for b in blocks if "store.push(" in b)
    repo = tmp_path / "repo"
    scaffold(repo)
    for args in (["apply"], ["materialize-incremental", "now"]):
        done = subprocess.run(
            [sys.executable, "-m", "featurevault._cli.main", *args], cwd=repo, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
    code = push_block + "\nassert pushed['driver_trips_avg_7d'] == [1000] and pushed['driver_conv_rate'] == [1.0]\n"
    out = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    first, second = out.stdout.strip().splitlines()
    assert first != second and "'driver_trips_avg_7d': [1000]" in second
