"""The shape of tokenui/, read from its source with ast: no package cycle, no module using another
module's private names, no long function (issue 16's "Done when")."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_FUNCTION_LINES = 30  # from the `def` line to the last, docstring included
# The simulator is a second implementation of WHM's side, kept apart on purpose (issue 16 leaves
# its functions out of the rule).
LONG_FUNCTIONS_ALLOWED_IN = ("tokenui.simulator",)

Modules = Mapping[str, ast.Module]


def read_tokenui() -> dict[str, ast.Module]:
    """Every module of tokenui/ by its dotted name (a package by its own name), parsed."""
    modules = {}
    for path in sorted((ROOT / "tokenui").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return modules


def package_of(module: str) -> str:
    """`tokenui.X`: the package (or top-level module) of tokenui that holds `module`."""
    return ".".join(module.split(".")[:2])


def is_package(name: str, modules: Modules) -> bool:
    return any(other.startswith(name + ".") for other in modules)


def imported(name: str, modules: Modules) -> Iterator[tuple[ast.alias, int, str, str | None]]:
    """Each import of a tokenui module by module `name`: (the alias, its line, the module, the
    name imported from it or None where the import names the module itself)."""
    for node in ast.walk(modules[name]):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("tokenui"):
                    yield alias, node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom):
            source = absolute(name, node, modules)
            if not source.startswith("tokenui"):
                continue
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in modules:
                    yield alias, node.lineno, submodule, None
                else:
                    yield alias, node.lineno, source, alias.name


def absolute(name: str, node: ast.ImportFrom, modules: Modules) -> str:
    """The module a `from … import` reads, relative imports resolved."""
    if not node.level:
        return node.module or ""
    package = name if is_package(name, modules) else name.rpartition(".")[0]
    base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
    return f"{base}.{node.module}" if node.module else base


def package_imports(modules: Modules) -> dict[str, set[str]]:
    """{package: the other packages of tokenui it imports}."""
    edges: dict[str, set[str]] = {}
    for name in modules:
        here = package_of(name)
        for _, _, module, _ in imported(name, modules):
            there = package_of(module)
            if there not in (here, "tokenui"):
                edges.setdefault(here, set()).add(there)
    return edges


def find_cycle(edges: Mapping[str, set[str]]) -> list[str]:
    """One cycle of the graph as its packages in order, first repeated at the end; [] if none."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str]:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return []
        for after in sorted(edges.get(node, ())):
            if cycle := visit(after, [*path, node]):
                return cycle
        done.add(node)
        return []

    for start in sorted(edges):
        if cycle := visit(start, []):
            return cycle
    return []


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.endswith("__")


def private_uses(modules: Modules) -> list[str]:
    """Each place a module imports another module's `_private` name or reads one through a
    module it imported (`views._helper`), as "module:line module._name"."""
    found = []
    for name in modules:
        aliases = {}  # a local name -> the tokenui module it stands for
        for alias, line, module, imported_name in imported(name, modules):
            if imported_name is None:
                # `import tokenui.x.y` binds `tokenui`; any other form binds the module itself.
                bound = alias.asname or alias.name
                if "." in bound:
                    aliases["tokenui"] = "tokenui"
                else:
                    aliases[bound] = module
            elif is_private(imported_name) and module != name:
                found.append(f"{name}:{line} {module}.{imported_name}")
        for node in ast.walk(modules[name]):
            if isinstance(node, ast.Attribute) and is_private(node.attr):
                module = module_named_by(node.value, aliases, modules)
                if module is not None and module != name:
                    found.append(f"{name}:{node.lineno} {module}.{node.attr}")
    return found


def module_named_by(node: ast.expr, aliases: Mapping[str, str], modules: Modules) -> str | None:
    """The tokenui module an expression such as `pages` or `tokenui.kernel.links` names, if any."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in aliases:
        return None
    dotted = ".".join([aliases[node.id], *reversed(parts)])
    return dotted if dotted in modules else None


def long_functions(modules: Modules, *, leave_out: tuple[str, ...] = ()) -> list[str]:
    """Each function over MAX_FUNCTION_LINES lines, as "module.function (N lines)"."""
    found = []
    for name, tree in modules.items():
        if any(name == out or name.startswith(out + ".") for out in leave_out):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    found.append(f"{name}.{node.name} ({lines} lines)")
    return found


@pytest.fixture(scope="module")
def tokenui() -> dict[str, ast.Module]:
    modules = read_tokenui()
    # A wrong path would make every check below pass on nothing.
    assert len(modules) > 80
    assert {"tokenui.settings", "tokenui.kernel.validators", "tokenui.whm.api"} <= set(modules)
    return modules


def test_tokenui_packages_import_one_another_without_a_cycle(tokenui: Modules) -> None:
    edges = package_imports(tokenui)
    assert "tokenui.kernel" in edges.get("tokenui.tokens", set())  # the scan sees imports
    assert find_cycle(edges) == []


def test_no_module_uses_another_modules_private_names(tokenui: Modules) -> None:
    assert private_uses(tokenui) == []


def test_no_function_outside_the_simulator_is_over_30_lines(tokenui: Modules) -> None:
    leave_out = LONG_FUNCTIONS_ALLOWED_IN
    assert long_functions(tokenui, leave_out=leave_out) == []


# The checks themselves, on modules made up for the purpose: each finds what it looks for.
MADE_UP = {
    "tokenui": "",
    "tokenui.a": "",
    "tokenui.a.views": (
        "from tokenui.b.rows import _format, public\n"
        "from tokenui.b import rows as r\n"
        "import tokenui.b.rows\n"
        "r._format(1)\n"
        "tokenui.b.rows._format(2)\n"
        "r.public(self._mine)\n"
    ),
    "tokenui.b": "",
    "tokenui.b.rows": (
        "from . import cells\n"
        "from tokenui.a import views\n"
        "def _format(x):\n" + "    x += 1\n" * 30 + "    return x\n"
        "def public(x):\n    return _format(x)\n"
    ),
    "tokenui.b.cells": "from .rows import _format\nfrom ..c import things\n",
    "tokenui.c": "",
    "tokenui.c.things": "",
}


@pytest.fixture
def made_up() -> dict[str, ast.Module]:
    return {name: ast.parse(source) for name, source in MADE_UP.items()}


def test_the_cycle_check_finds_a_cycle_between_packages(made_up: Modules) -> None:
    edges = package_imports(made_up)
    assert edges == {"tokenui.a": {"tokenui.b"}, "tokenui.b": {"tokenui.a", "tokenui.c"}}
    assert find_cycle(edges) == ["tokenui.a", "tokenui.b", "tokenui.a"]
    assert find_cycle({"tokenui.a": {"tokenui.b"}, "tokenui.b": {"tokenui.c"}}) == []


def test_the_private_names_check_finds_imports_and_attribute_reads(made_up: Modules) -> None:
    assert private_uses(made_up) == [
        "tokenui.a.views:1 tokenui.b.rows._format",
        "tokenui.a.views:4 tokenui.b.rows._format",
        "tokenui.a.views:5 tokenui.b.rows._format",
        "tokenui.b.cells:1 tokenui.b.rows._format",
    ]


def test_the_length_check_finds_a_long_function(made_up: Modules) -> None:
    assert long_functions(made_up) == ["tokenui.b.rows._format (32 lines)"]
    assert long_functions(made_up, leave_out=("tokenui.b",)) == []
