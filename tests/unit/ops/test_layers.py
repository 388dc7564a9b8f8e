"""The layers point one way: ops never import the facade or the shells; backends import nothing above them.

Every import statement counts, those under ``TYPE_CHECKING`` or inside a function included.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import featurevault

PACKAGE = Path(featurevault.__file__).parent

SHELLS = ("featurevault._cli", "featurevault._server", "featurevault._ui")
#: a backend is called: it never sees definitions (it gets plain specs), operations, policy or the facade
ABOVE_BACKENDS = (
    "featurevault._model",
    "featurevault.types",
    "featurevault._ops",
    "featurevault._governance",
    "featurevault._quality",
    "featurevault._monitoring",
    "featurevault._recovery",
    "featurevault._lifecycle",
    "featurevault._store",
    *SHELLS,
)

#: package (under featurevault/) -> the modules it must never import
NEVER = {
    "_ops": ("featurevault._store", *SHELLS),
    "_backends": ABOVE_BACKENDS,
}


def imported(path: Path) -> list[tuple[int, str]]:
    """``(line, module)`` of every import in a file (``from a import b`` gives ``a`` and ``a.b``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def breaks(module: str, forbidden: tuple[str, ...]) -> bool:
    return any(module == f or module.startswith(f + ".") for f in forbidden)


@pytest.mark.parametrize("package", sorted(NEVER))
def test_a_layer_imports_nothing_above_it(package: str) -> None:
    files = sorted((PACKAGE / package).rglob("*.py"))
    assert files, f"no modules under featurevault/{package}"
    broken = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {module}"
        for path in files
        for line, module in imported(path)
        if breaks(module, NEVER[package])
    ]
    assert not broken, "\n".join(broken)


def test_the_check_sees_every_form_of_import(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "import featurevault._store\n"
        "from featurevault import _cli\n"
        "if TYPE_CHECKING:\n"
        "    from featurevault._server.app import build\n"
        "def f():\n"
        "    from featurevault._model import FeatureView\n"
    )
    modules = [m for _, m in imported(source)]
    forbidden = NEVER["_ops"] + NEVER["_backends"]
    assert [m for m in modules if breaks(m, forbidden)] == [
        "featurevault._store",
        "featurevault._cli",
        "featurevault._server.app",
        "featurevault._server.app.build",
        "featurevault._model",
        "featurevault._model.FeatureView",
    ]
