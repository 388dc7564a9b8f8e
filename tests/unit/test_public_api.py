"""The public API: ``featurevault.__all__`` and the modules at Feast's import paths.

- every exported name resolves;
- every type a public FeatureStore method (or property) returns is exported;
- every exception class of ``featurevault.errors`` is exported;
- each module at a Feast import path is a pure re-export (docstring, imports, ``__all__``)
  whose names resolve, and docs/feast-compatibility.md lists it;
- every other module is private by name: its top-level name under ``featurevault`` starts
  with an underscore;
- ``import featurevault`` stays light (tests/unit/test_import_light.py checks the drivers;
  here: no pydantic, pyarrow or pandas either).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys
import types
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest

import featurevault
from featurevault import errors
from featurevault._store import FeatureStore

PACKAGE = Path(featurevault.__file__).parent
DOCS = Path(__file__).resolve().parents[2] / "docs"

#: the public top-level modules that are not at a Feast import path (the package and its exceptions)
PUBLIC_NOT_FEAST = {"__init__", "errors"}

#: cached backend handles of the store: internal plumbing, not values a user is handed
INTERNAL_HANDLES = {"online_store", "offline_store", "guard", "quarantine"}


def feast_path_modules() -> list[str]:
    top = [
        f"featurevault.{p.stem}" for p in PACKAGE.glob("*.py") if p.stem not in PUBLIC_NOT_FEAST and p.stem[0] != "_"
    ]
    infra = [
        "featurevault." + ".".join(p.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__")
        for p in (PACKAGE / "infra").rglob("*.py")
    ]
    return sorted(top + infra)


def test_the_feast_paths_are_the_expected_modules() -> None:
    modules = feast_path_modules()
    for name in (
        "featurevault.data_format",
        "featurevault.data_source",
        "featurevault.entity",
        "featurevault.feature_logging",
        "featurevault.feature_service",
        "featurevault.feature_store",
        "featurevault.feature_view",
        "featurevault.field",
        "featurevault.on_demand_feature_view",
        "featurevault.project",
        "featurevault.repo_config",
        "featurevault.types",
        "featurevault.value_type",
        "featurevault.infra",
        "featurevault.infra.online_stores.sqlite",
        "featurevault.infra.offline_stores.file_source",
    ):
        assert name in modules


def test_every_other_module_is_private_by_name() -> None:
    """A top-level module or package is public (the package, errors, a Feast path) or starts with ``_``."""
    public = {f"featurevault.{name}".removesuffix(".__init__") for name in PUBLIC_NOT_FEAST} | set(feast_path_modules())
    entries = [p for p in PACKAGE.iterdir() if (p.suffix == ".py" or (p / "__init__.py").exists())]
    assert len(entries) > 20
    exposed = sorted(
        f"featurevault.{p.stem}"
        for p in entries
        if not p.stem.startswith("_") and f"featurevault.{p.stem}" not in public
    )
    assert not exposed, f"internal modules without a leading underscore: {exposed}"


@pytest.mark.parametrize("name", sorted(featurevault.__all__))
def test_every_exported_name_resolves(name: str) -> None:
    value = getattr(featurevault, name)
    assert value is not None
    if name != "__version__":
        assert name in dir(featurevault)


def test_all_has_no_duplicates_and_only_public_names() -> None:
    assert len(featurevault.__all__) == len(set(featurevault.__all__))
    assert all(not n.startswith("_") or n == "__version__" for n in featurevault.__all__)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'NoSuchThing'"):
        featurevault.NoSuchThing  # noqa: B018


def _type_checking_namespace(module: types.ModuleType) -> dict[str, object]:
    """The module's globals plus its ``if TYPE_CHECKING:`` imports, to resolve string annotations."""
    namespace = dict(vars(module))
    tree = ast.parse(inspect.getsource(module))
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            code = compile(ast.Module(body=node.body, type_ignores=[]), module.__file__ or module.__name__, "exec")
            exec(code, namespace)  # noqa: S102 (imports only, from our own source)
    return namespace


def _classes(annotation: object) -> Iterator[type]:
    """The featurevault classes inside a (possibly generic, union, optional) annotation."""
    for arg in typing.get_args(annotation):
        yield from _classes(arg)
    origin = typing.get_origin(annotation)
    candidate = origin if origin is not None else annotation
    if isinstance(candidate, type) and candidate.__module__.startswith("featurevault"):
        yield candidate


def _public_returns() -> dict[str, object]:
    """Public FeatureStore method/property name -> its resolved return annotation."""
    out: dict[str, object] = {}
    for name, member in inspect.getmembers(FeatureStore):
        if name.startswith("_") or name in INTERNAL_HANDLES:
            continue
        function = member.fget if isinstance(member, property) else member
        if not callable(function) or isinstance(function, type):
            continue
        namespace = _type_checking_namespace(sys.modules[function.__module__])
        out[name] = typing.get_type_hints(function, globalns=namespace).get("return")
    return out


def test_public_store_methods_are_found() -> None:
    returns = _public_returns()
    for name in ("get_online_features", "get_historical_features", "materialize", "validate", "backup", "apply"):
        assert name in returns


def test_every_type_a_public_store_method_returns_is_exported() -> None:
    exported = {id(getattr(featurevault, n)) for n in featurevault.__all__}
    missing = {
        f"{cls.__module__}.{cls.__qualname__} (from FeatureStore.{method})"
        for method, annotation in _public_returns().items()
        for cls in _classes(annotation)
        if id(cls) not in exported
    }
    assert not missing, f"returned by public FeatureStore methods but not in featurevault.__all__: {sorted(missing)}"


def test_the_recovery_service_results_are_exported() -> None:
    """``store.recovery()`` returns the service; what its methods return is public too."""
    from featurevault._recovery.service import RecoveryService

    exported = {id(getattr(featurevault, n)) for n in featurevault.__all__}
    namespace = _type_checking_namespace(sys.modules[RecoveryService.__module__])
    for name, function in inspect.getmembers(RecoveryService, inspect.isfunction):
        if name.startswith("_") or name in {"context", "guarded"}:
            continue
        for cls in _classes(typing.get_type_hints(function, globalns=namespace).get("return")):
            assert id(cls) in exported, f"RecoveryService.{name} returns {cls.__qualname__}, not exported"


def test_every_exception_is_exported() -> None:
    exported = set(featurevault.__all__)
    for name, value in vars(errors).items():
        if isinstance(value, type) and issubclass(value, Exception) and value.__module__ == errors.__name__:
            assert name in exported, f"featurevault.errors.{name} is not exported"


def _is_pure(tree: ast.Module) -> list[str]:
    """What in a module is not a docstring, an import or an ``__all__`` assignment."""
    bad = []
    for index, node in enumerate(tree.body):
        if index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == ["__all__"]:
            continue
        if isinstance(node, ast.AnnAssign) and ast.unparse(node.target) == "__all__":
            continue
        bad.append(f"line {node.lineno}: {ast.unparse(node).splitlines()[0]}")
    return bad


@pytest.mark.parametrize("module_name", feast_path_modules())
def test_each_feast_path_module_is_a_pure_re_export(module_name: str) -> None:
    module = importlib.import_module(module_name)
    tree = ast.parse(Path(module.__file__ or "").read_text(encoding="utf-8"))
    assert not _is_pure(tree), f"{module_name} holds more than imports and __all__: {_is_pure(tree)}"
    assert isinstance(tree.body[0], ast.Expr), f"{module_name} has no docstring"
    assert isinstance(module.__all__, list), f"{module_name} has no __all__"
    for name in module.__all__:
        assert getattr(module, name, None) is not None, f"{module_name}.__all__ names {name!r}, which does not resolve"


@pytest.mark.parametrize("module_name", feast_path_modules())
def test_each_feast_path_module_is_listed_in_the_compatibility_page(module_name: str) -> None:
    text = (DOCS / "feast-compatibility.md").read_text(encoding="utf-8")
    section = text.split("## Compatibility surface", 1)[1].split("\n## ", 1)[0]
    assert f"`{module_name}`" in section, f"docs/feast-compatibility.md does not list {module_name}"


def test_the_feast_path_decorator_module_stays_callable() -> None:
    from featurevault.on_demand_feature_view import on_demand_feature_view

    assert callable(featurevault.on_demand_feature_view)
    assert on_demand_feature_view is importlib.import_module("featurevault._model.on_demand").on_demand_feature_view


def test_import_featurevault_stays_light() -> None:
    code = (
        "import sys, featurevault\n"
        "featurevault.__all__\n"
        "heavy = [m for m in ('pydantic', 'pyarrow', 'pandas', 'duckdb', 'redis', 'psycopg', 'fastapi', 'httpx')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_the_decorator_module_stays_callable_after_featurevault_types_is_imported() -> None:
    code = (
        "import featurevault.types, featurevault\n"
        "from featurevault.on_demand_feature_view import on_demand_feature_view\n"
        "assert callable(featurevault.on_demand_feature_view)\n"
    )
    subprocess.run([sys.executable, "-W", "error", "-c", code], check=True)
