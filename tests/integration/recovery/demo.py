"""The scaffolded demo repo, applied and materialized, driven through the CLI in subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def cli(repo: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "featurevault._cli.main", "-c", str(repo), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )


def cli_json(repo: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    done = cli(repo, *args, "--format", "json", env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def make_demo(where: Path, extra_config: str = "") -> Path:
    from featurevault._cli.scaffold import scaffold

    repo = where / "demo"
    scaffold(repo)
    text = (repo / "feature_store.yaml").read_text().replace("PROJECT_NAME", "demo")
    (repo / "feature_store.yaml").write_text(text + extra_config)
    for args in (("apply",), ("materialize-incremental", "now")):
        done = cli(repo, *args)
        assert done.returncode == 0, done.stderr
    return repo
