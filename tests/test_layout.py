"""The layout stays true: every app on one floor, imports only downward, no module cycles.

Reads the imports of every runtime module (tests and migrations left out) with `ast`, including
imports inside functions and under TYPE_CHECKING: a dependency is a dependency wherever it is written.
The floors are those of the README's "Layout" section.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Who may import whom: an app imports only apps on a lower floor. The top floor (wiring,
# demo data, benchmarks) may import anything below it, and nothing imports it.
FLOORS = {
    "common": 1,
    "notifications": 2,
    "audit": 2,
    "boundaries": 3,
    "agencies": 4,
    "accounts": 5,
    "incidents": 6,
    "maps": 7,
    "stats": 7,
    "alerts": 7,
    "channels": 7,
    "geo": 8,
    "demo": 8,
    "bench": 8,
}

# Upward or sideways imports still to be moved, as (importing app, imported app). Each lane of the
# layout work removes its own; the test fails on any pair not listed here and on a listed pair
# that no longer occurs, so this list can only shrink.
PENDING: set[tuple[str, str]] = set()


def _runtime_files() -> Iterator[Path]:
    for app in FLOORS:
        folder = ROOT / app
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.py")):
            if "migrations" in path.parts or "tests" in path.parts:
                continue
            yield path


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(path): path for path in _runtime_files()}


def _resolve(name: str) -> str | None:
    """The module of ours that `name` (a module, or a name inside a package) refers to, if any."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(module: str, path: Path) -> Iterator[tuple[str, int]]:
    """(imported module of ours, line) for each import in the file."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if (target := _resolve(alias.name)) is not None:
                    yield target, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            for alias in node.names:
                # `from pkg import module` imports the module; `from module import name` the module.
                if (target := _resolve(f"{stem}.{alias.name}")) is not None:
                    yield target, node.lineno


GRAPH = {
    module: sorted({target for target, _ in _imports(module, path)} - {module}) for module, path in MODULES.items()
}


def _app(module: str) -> str:
    return module.split(".")[0]


def _allowed(source: str, target: str) -> bool:
    if source == target:
        return True
    if FLOORS[source] == max(FLOORS.values()):
        return FLOORS[target] < FLOORS[source]
    return FLOORS[target] < FLOORS[source]


def _cross_app_pairs() -> dict[tuple[str, str], list[str]]:
    pairs: dict[tuple[str, str], list[str]] = {}
    for module, path in MODULES.items():
        for target, line in _imports(module, path):
            source_app, target_app = _app(module), _app(target)
            if not _allowed(source_app, target_app):
                where = f"{path.relative_to(ROOT)}:{line} imports {target}"
                found = pairs.setdefault((source_app, target_app), [])
                if where not in found:
                    found.append(where)
    return pairs


def test_the_floors_cover_every_app_with_code() -> None:
    apps = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests"}
    assert apps - set(FLOORS) == set(), "an app without a floor: add it to FLOORS and to the README"


def test_imports_go_only_downward() -> None:
    pairs = _cross_app_pairs()
    new = {pair: where for pair, where in pairs.items() if pair not in PENDING}
    assert new == {}, "upward or sideways imports (see the README's Layout section)"


def test_pending_moves_are_still_pending() -> None:
    done = PENDING - set(_cross_app_pairs())
    assert done == set(), "these moves are done: remove them from PENDING"


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in GRAPH.get(node, []):
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
                found.append(sorted(component))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    return found


def test_no_module_cycles() -> None:
    assert _cycles() == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.endswith(".services") or ".services." in m))
def test_services_defer_jobs_by_name_and_never_import_tasks(module: str) -> None:
    assert [t for t in GRAPH[module] if t.endswith(".tasks")] == []


def test_the_checker_sees_an_upward_import() -> None:
    # The checker itself: a floor module importing an app above it is refused, the reverse allowed.
    assert not _allowed("common", "incidents")
    assert not _allowed("maps", "stats")
    assert _allowed("incidents", "common")
    assert _allowed("geo", "maps")
    assert not _allowed("maps", "geo")


def test_the_srid_is_written_once() -> None:
    # settings.GEO_SRID, named common.gis.SRID everywhere else (models, SQL, parsed input). The
    # benchmarks' naive baselines are left as a plain service would write them.
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in MODULES.values()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "4326" in line and path != ROOT / "geo" / "settings.py" and path.parts[len(ROOT.parts)] != "bench"
    ]
    assert found == []
