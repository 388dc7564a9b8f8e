"""The comparator's own virtual environment: ``benchmarks/.feast-venv``.

The comparator is pinned and lives in a venv of its own so that it is never a
dependency of the project; its workloads run as subprocesses of that venv's
interpreter (see :mod:`benchmarks.suite.feast_runner`).
"""

from __future__ import annotations

import logging
import subprocess
import sys
import venv
from pathlib import Path

logger = logging.getLogger(__name__)

FEAST_VERSION = "0.67.0"
#: duckdb: its fastest local offline store; redis: the online store compared with ours
FEAST_REQUIREMENT = f"feast[duckdb,redis]=={FEAST_VERSION}"
VENV_DIR = Path(__file__).resolve().parent.parent / ".feast-venv"


def venv_python(venv_dir: Path = VENV_DIR) -> Path:
    return venv_dir / "bin" / "python"


def installed_version(venv_dir: Path = VENV_DIR) -> str | None:
    """The comparator version installed in the venv, or None when absent or broken."""
    python = venv_python(venv_dir)
    if not python.exists():
        return None
    probe = "import importlib.metadata as m, duckdb, ibis; print(m.version('feast'))"
    done = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else None


def ensure_feast_venv(venv_dir: Path = VENV_DIR) -> Path:
    """Create the venv and install the pinned comparator (with its duckdb extra) if needed."""
    if installed_version(venv_dir) == FEAST_VERSION:
        return venv_python(venv_dir)
    if not venv_python(venv_dir).exists():
        logger.info("creating %s", venv_dir)
        venv.EnvBuilder(with_pip=True, clear=True).create(venv_dir)
    python = str(venv_python(venv_dir))
    logger.info("installing %s into %s", FEAST_REQUIREMENT, venv_dir)
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([python, "-m", "pip", "install", "--quiet", FEAST_REQUIREMENT, "msgpack"], check=True)
    version = installed_version(venv_dir)
    if version != FEAST_VERSION:
        raise RuntimeError(f"{venv_dir}: expected feast {FEAST_VERSION} with duckdb extra, found {version!r}")
    return venv_python(venv_dir)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    print(ensure_feast_venv(), file=sys.stderr)
