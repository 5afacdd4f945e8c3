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
