"""The package's layout holds: no import cycle between the pillars, and no
pillar reaching into another's private names. Every import is read from the
source (module level and inside functions), nothing is imported to find them."""
from __future__ import annotations

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "ckanext" / "satudata"
PREFIX = "ckanext.satudata"
PILLARS = ("metadata", "workflow", "validation", "datarequest")
# What each pillar may import of the others: a pillar only looks down.
ORDER = {"metadata": 0, "workflow": 1, "validation": 1, "datarequest": 2}
# Modules below every pillar: they import no pillar.
SHARED = ("model", "text", "msgid", "mail", "outbox", "jobs", "signals", "transaction", "outages", "uploads")


def _modules(root: pathlib.Path = PACKAGE) -> dict[str, pathlib.Path]:
    out = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).with_suffix("")
        parts = [p for p in rel.parts if p != "__init__"]
        if parts[:1] in (["migration"], ["tests"]):
            continue
        out[".".join([PREFIX, *parts])] = path
    return out


def imports(source: str, module: str, is_package: bool = False) -> list[tuple[str, str | None, int]]:
    """(imported module, imported name or None, line) of every import in
    ``source``, inside functions too; relative imports resolved."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(alias.name, None, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join(parent + ([base] if base else []))
            found += [(base, alias.name, node.lineno) for alias in node.names]
    return found


def unit(module: str) -> str | None:
    """The top-level part of the package a module belongs to (``workflow``,
    ``logic``, ``mail`` ...), or None outside the package."""
    if module != PREFIX and not module.startswith(PREFIX + "."):
        return None
    rest = module[len(PREFIX) + 1:]
    return rest.split(".")[0] if rest else None


def edges(modules: dict[str, pathlib.Path]) -> list[tuple[str, str, str, int, str | None]]:
    """(from unit, to unit, from file, line, name) for imports between units."""
    out = []
    for module, path in modules.items():
        src_unit = unit(module)
        for target, name, line in imports(path.read_text(), module, path.name == "__init__.py"):
            target_unit = unit(target)
            if target == PREFIX and name:  # from ckanext.satudata import workflow
                target_unit, name = name, None
            if target_unit and target_unit != src_unit:
                out.append((src_unit, target_unit, str(path.relative_to(PACKAGE)), line, name))
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return out


def private_reaches(modules: dict[str, pathlib.Path]) -> list[str]:
    """``from <other pillar> import _name`` and ``<other pillar module>._name``."""
    found = []
    for module, path in modules.items():
        src_unit = unit(module)
        tree = ast.parse(path.read_text())
        aliases = {}
        for target, name, line in imports(path.read_text(), module, path.name == "__init__.py"):
            target_unit = unit(target)
            if target == PREFIX and name:
                target_unit = name
            if target_unit in PILLARS and target_unit != src_unit:
                if name and name.startswith("_"):
                    found.append(f"{path.relative_to(PACKAGE)}:{line} imports {target}.{name}")
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and unit(node.module) in PILLARS:
                for alias in node.names:
                    aliases[alias.asname or alias.name] = unit(f"{node.module}.{alias.name}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if unit(alias.name) in PILLARS and alias.asname:
                        aliases[alias.asname] = unit(alias.name)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.attr.startswith("_") \
                    and not node.attr.startswith("__"):
                owner = aliases.get(node.value.id)
                if owner in PILLARS and owner != src_unit:
                    found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} uses {node.value.id}.{node.attr}")
    return found


# ------------------------------------------------------------------- checks

def test_the_checker_sees_imports_inside_functions_and_relative_ones():
    source = "import ckanext.satudata.mail\ndef f():\n    from ckanext.satudata.workflow import states\n" \
             "    from .progress import lock\n"
    found = imports(source, "ckanext.satudata.datarequest.notices")
    assert ("ckanext.satudata.workflow", "states", 3) in found
    assert ("ckanext.satudata.datarequest.progress", "lock", 4) in found
    assert ("ckanext.satudata.mail", None, 1) in found


def test_the_checker_finds_a_cycle():
    assert cycles({"workflow": {"datarequest"}, "datarequest": {"workflow"}, "metadata": set()}) \
        == [["datarequest", "workflow"]]
    assert cycles({"datarequest": {"workflow"}, "workflow": {"metadata"}}) == []


def test_the_checker_finds_a_private_reach(tmp_path):
    pkg = tmp_path / "satudata"
    (pkg / "workflow").mkdir(parents=True)
    (pkg / "datarequest").mkdir()
    (pkg / "workflow" / "__init__.py").write_text("")
    (pkg / "datarequest" / "__init__.py").write_text("")
    (pkg / "workflow" / "transitions.py").write_text(
        "def f():\n    from ckanext.satudata.datarequest import progress\n    return progress._lock()\n")
    (pkg / "workflow" / "roles.py").write_text("from ckanext.satudata.datarequest.progress import _lock\n")
    modules = {f"{PREFIX}.workflow.transitions": pkg / "workflow" / "transitions.py",
               f"{PREFIX}.workflow.roles": pkg / "workflow" / "roles.py"}
    global PACKAGE
    saved, PACKAGE = PACKAGE, pkg
    try:
        found = private_reaches(modules)
    finally:
        PACKAGE = saved
    assert any("uses progress._lock" in f for f in found), found
    assert any("imports ckanext.satudata.datarequest.progress._lock" in f for f in found), found


def test_no_import_cycle_between_the_parts_of_the_package():
    graph: dict[str, set[str]] = {}
    for src, dst, *_ in edges(_modules()):
        graph.setdefault(src, set()).add(dst)
    assert cycles(graph) == []


@pytest.mark.parametrize("pillar", PILLARS)
def test_a_pillar_only_imports_the_pillars_below_it(pillar):
    wrong = [f"{path}:{line} imports {dst}" for src, dst, path, line, _name in edges(_modules())
             if src == pillar and dst in PILLARS and ORDER[dst] >= ORDER[pillar]]
    assert wrong == []


def test_the_shared_modules_import_no_pillar_and_nothing_above():
    wrong = [f"{path}:{line} imports {dst}" for src, dst, path, line, _name in edges(_modules())
             if src in SHARED and dst not in SHARED]
    assert wrong == []


def test_no_pillar_reaches_into_another_pillars_private_names():
    assert private_reaches(_modules()) == []
