"""Dependencies are declared and used: what the code imports is in pyproject.toml, and what pyproject.toml
declares is imported (or named where Django, mypy, make or the scripts load it).

Runtime code (the apps, bench, manage.py) may only import `[project] dependencies`: a production install
has nothing else. Tests may also import the `dev` extra.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from collections.abc import Iterable, Iterator
from importlib.metadata import entry_points, packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
LOCAL = {path.name for path in ROOT.iterdir() if (path / "__init__.py").is_file()}
RUNTIME_DIRS = sorted(LOCAL - {"tests"})

# Declared and loaded by name (some also imported): the text that loads each must still be there.
LOADED_BY_NAME = {
    "granian": ("scripts/web.sh", ".venv/bin/granian"),
    "whitenoise": ("geo/settings.py", '"whitenoise.middleware.WhiteNoiseMiddleware"'),
    "djangorestframework-gis": ("geo/settings.py", '"rest_framework_gis"'),
    "drf-spectacular-sidecar": ("geo/settings.py", '"drf_spectacular_sidecar"'),
    "django-axes": ("geo/settings.py", '"axes.middleware.AxesMiddleware"'),
    "pytest-xdist": ("Makefile", "pytest -n 2"),
    "ruff": ("Makefile", "$(VENV)/bin/ruff check"),
    "mypy": ("Makefile", "$(VENV)/bin/mypy"),
    "django-stubs": ("pyproject.toml", '"mypy_django_plugin.main"'),
    "djangorestframework-stubs": ("pyproject.toml", '"mypy_drf_plugin.main"'),
    "pymap": ("tests/imap_server.py", "from pymap.main import main"),
    # `make loadtest` runs locust on loadtest/locustfile.py (a locust file, not part of the site).
    "locust": ("bench/loadtest.py", '".venv" / "bin" / "locust"'),
}

# Declared for work in progress, not imported yet; the test fails once one is imported, so the list shrinks.
PENDING: dict[str, str] = {}


def _declared(requirements: Iterable[str]) -> set[str]:
    return {canonicalize_name(Requirement(line).name) for line in requirements}


RUNTIME_DEPS = _declared(PYPROJECT["project"]["dependencies"])
DEV_DEPS = _declared(PYPROJECT["project"]["optional-dependencies"]["dev"])


def _python_files(folders: Iterable[str]) -> Iterator[Path]:
    for folder in folders:
        yield from (path for path in sorted((ROOT / folder).rglob("*.py")) if "migrations" not in path.parts)


def _imported_modules(paths: Iterable[Path]) -> dict[str, Path]:
    """Third-party top-level module -> one file importing it (imports in functions and TYPE_CHECKING too)."""
    found: dict[str, Path] = {}
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.partition(".")[0]
                if top not in sys.stdlib_module_names and top not in LOCAL:
                    found.setdefault(top, path)
    return found


def _distributions(module: str) -> set[str]:
    return {canonicalize_name(name) for name in packages_distributions().get(module, [])}


RUNTIME_IMPORTS = _imported_modules([*_python_files(RUNTIME_DIRS), ROOT / "manage.py"])
TEST_IMPORTS = _imported_modules(_python_files(["tests"]))


def _undeclared(imports: dict[str, Path], declared: set[str]) -> list[str]:
    return sorted(
        f"{module} ({path.relative_to(ROOT)}): {sorted(_distributions(module)) or 'not installed'}"
        for module, path in imports.items()
        if not _distributions(module) & declared
    )


def test_runtime_imports_are_runtime_dependencies() -> None:
    assert _undeclared(RUNTIME_IMPORTS, RUNTIME_DEPS) == []


def test_test_imports_are_declared() -> None:
    assert _undeclared(TEST_IMPORTS, RUNTIME_DEPS | DEV_DEPS) == []


def _used() -> set[str]:
    used = {dist for module in [*RUNTIME_IMPORTS, *TEST_IMPORTS] for dist in _distributions(module)}
    # A pytest plugin is used by being installed, once tests import the library it serves (pytest-django).
    used |= {canonicalize_name(ep.dist.name) for ep in entry_points(group="pytest11") if ep.dist} & {"pytest-django"}
    return used


def test_every_dependency_is_used() -> None:
    unused = (RUNTIME_DEPS | DEV_DEPS) - _used() - set(LOADED_BY_NAME) - set(PENDING)
    assert sorted(unused) == []


def test_dependencies_loaded_by_name_are_still_named() -> None:
    missing = [
        f"{dist}: {needle!r} not in {file}"
        for dist, (file, needle) in LOADED_BY_NAME.items()
        if needle not in (ROOT / file).read_text(encoding="utf-8")
    ]
    assert missing == []
    assert set(LOADED_BY_NAME) <= RUNTIME_DEPS | DEV_DEPS


def test_pending_dependencies_are_not_imported_yet() -> None:
    assert set(PENDING) <= RUNTIME_DEPS
    assert not set(PENDING) & _used(), "imported now: drop it from PENDING"
