"""The package's shape: no import cycles, every exception in errors.py, ``__all__`` everywhere."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PKG = SRC / "lotsen_match"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, tuple[Path, ast.Module]]:
    return {
        _module_name(p): (p, ast.parse(p.read_text(encoding="utf-8")))
        for p in sorted(PKG.rglob("*.py"))
    }


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(
    name: str, path: Path, tree: ast.Module, known: set[str]
) -> Iterator[tuple[str, bool]]:
    """(imported module, at module level?) for every lotsen_match import outside TYPE_CHECKING."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def resolve(node: ast.ImportFrom) -> list[str]:
        if node.level:
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
            mod = ".".join(base + ([node.module] if node.module else []))
        else:
            mod = node.module or ""
        # ``from . import x`` may import a submodule x
        subs = [f"{mod}.{a.name}" for a in node.names if f"{mod}.{a.name}" in known]
        return subs or [mod]

    def walk(nodes: list[ast.stmt], top: bool) -> Iterator[tuple[str, bool]]:
        for node in nodes:
            if isinstance(node, ast.If) and _is_type_checking(node):
                continue
            if isinstance(node, ast.ImportFrom):
                for mod in resolve(node):
                    if mod.startswith("lotsen_match"):
                        yield mod, top
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("lotsen_match"):
                        yield alias.name, top
            is_def = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            for field in ("body", "orelse", "finalbody", "handlers"):
                children = getattr(node, field, None)
                if isinstance(children, list):
                    stmts = [c for c in children if isinstance(c, ast.stmt | ast.excepthandler)]
                    flat: list[ast.stmt] = []
                    for c in stmts:
                        flat.extend(c.body if isinstance(c, ast.excepthandler) else [c])
                    yield from walk(flat, top and not is_def)

    yield from walk(tree.body, True)


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def _unit(module: str) -> str:
    """The package a module belongs to (``lotsen_match.core.scoring`` -> ``lotsen_match.core``)."""
    parts = module.split(".")
    return ".".join(parts[:2])


def test_no_import_cycle_at_module_level() -> None:
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, (path, tree) in modules.items():
        for target, top in _imports(name, path, tree, set(modules)):
            if top and target != name and target in modules:
                graph[name].add(target)
    assert _cycle(graph) is None, f"import cycle: {' -> '.join(_cycle(graph) or [])}"


def test_no_import_cycle_between_packages_even_inside_functions() -> None:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, (path, tree) in modules.items():
        if name == "lotsen_match":  # the lazy re-exports of the public API
            continue
        for target, _top in _imports(name, path, tree, set(modules)):
            a, b = _unit(name), _unit(target)
            if a != b and b != "lotsen_match":
                graph.setdefault(a, set()).add(b)
    assert _cycle(graph) is None, f"package cycle: {' -> '.join(_cycle(graph) or [])}"


def test_every_exception_class_lives_in_errors() -> None:
    builtin_bases = {"Exception", "ValueError", "RuntimeError", "KeyError", "TypeError"}
    for name, (_path, tree) in _modules().items():
        if name == "lotsen_match.errors":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = {b.id for b in node.bases if isinstance(b, ast.Name)}
                assert not (bases & builtin_bases or any(b.endswith("Error") for b in bases)), (
                    f"{name}.{node.name} is an exception class outside errors.py"
                )


@pytest.mark.parametrize("builtin", ["Exception", "RuntimeError"])
def test_no_bare_builtin_exception_is_raised(builtin: str) -> None:
    for name, (_path, tree) in _modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                assert not (isinstance(func, ast.Name) and func.id == builtin), (
                    f"{name}:{node.lineno} raises a bare {builtin}"
                )


def test_every_module_declares_all() -> None:
    missing = [
        name
        for name, (_path, tree) in _modules().items()
        if not any(
            isinstance(node, ast.Assign | ast.AnnAssign)
            and any(
                isinstance(t, ast.Name) and t.id == "__all__"
                for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
            )
            for node in tree.body
        )
    ]
    assert not missing, f"modules without __all__: {missing}"


def test_no_test_module_imports_another_test_module() -> None:
    """Shared test helpers live in support modules (conftest.py, *_support.py, ...), so running
    one test module never collects another one's tests as a side effect."""
    tests = Path(__file__).resolve().parent
    paths = sorted(tests.rglob("test_*.py"))
    assert len(paths) > 50  # the folders mirroring the package are searched too
    offenders = []
    for path in paths:
        name = path.relative_to(tests).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                # ``from tests.core import test_x`` names the test module in ``names``
                modules = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
                offenders += [
                    f"{name} imports {m}"
                    for m in modules
                    if m.rsplit(".", 1)[-1].startswith("test_")
                ]
            if isinstance(node, ast.Import):
                offenders += [
                    f"{name} imports {a.name}"
                    for a in node.names
                    if a.name.rsplit(".", 1)[-1].startswith("test_")
                ]
    assert offenders == []
