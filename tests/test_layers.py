"""The layers' arrows point down: config ← vectorstore ← qa ← releasebot; no module imports a layer above its own."""

from __future__ import annotations

import ast

import pytest

from config import PROJECT_ROOT

ABOVE = {"config": {"vectorstore", "qa", "releasebot"}, "vectorstore": {"qa", "releasebot"}, "qa": {"releasebot"}}


def _imports(path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("layer", sorted(ABOVE))
def test_no_module_imports_a_higher_layer(layer):
    modules = sorted((PROJECT_ROOT / layer).rglob("*.py"))
    assert modules
    climbing = {str(path.relative_to(PROJECT_ROOT)): sorted(_imports(path) & ABOVE[layer]) for path in modules}
    assert not {path: names for path, names in climbing.items() if names}


def _modules_imported(path) -> set[str]:
    """The project modules a file imports, "qa.engine" style (imports read only by type checkers included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return names


def test_no_two_modules_import_each_other():
    modules = {".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts): path
               for layer in ABOVE for path in (PROJECT_ROOT / layer).rglob("*.py")}
    imports = {name: _modules_imported(path) & set(modules) for name, path in modules.items()}
    assert not sorted((a, b) for a in imports for b in imports[a] if a < b and a in imports[b])
