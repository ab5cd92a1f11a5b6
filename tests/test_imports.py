"""How the integration's modules import each other: no circles, pure stays pure.

Read from the source, so that a new import that closes a circle, or pulls Home
Assistant into a pure module, fails here before it confuses a reader.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "custom_components" / "obico"
MODULES = sorted(path.stem for path in PACKAGE.glob("*.py"))
# DESIGN §8: the decision math, the alert rules, the readers of outside
# numbers, the printer presets and the annotated frame's drawing are tested
# without Home Assistant, so they must not import it.
PURE = (
    "prediction",
    "alerts",
    "verdict",
    "history",
    "const",
    "parsing",
    "presets",
    "pictures",
    "annotate",
)


def _is_type_checking_block(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def run_time_imports(
    module: str, *, with_type_checking: bool = False
) -> tuple[set[str], set[str]]:
    """The modules of ours, and the top-level packages, that ``module`` imports.

    Imports under ``if TYPE_CHECKING`` never run, and are left out unless
    asked for.
    """
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    ours: set[str] = set()
    packages: set[str] = set()
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if (
            isinstance(node, ast.stmt)
            and _is_type_checking_block(node)
            and not with_type_checking
        ):
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                if node.module:
                    ours.add(node.module.split(".")[0])
                else:
                    ours.update(alias.name for alias in node.names)
            elif node.module:
                packages.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            packages.update(alias.name.split(".")[0] for alias in node.names)
        pending.extend(ast.iter_child_nodes(node))
    return ours, packages


def test_no_module_imports_in_a_circle() -> None:
    """The modules can be ordered so that each imports only those before it."""
    graph = {module: run_time_imports(module)[0] for module in MODULES}
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as err:
        pytest.fail(f"modules import each other in a circle: {err.args[1]}")
    assert set(order) >= set(MODULES)


def test_only_the_runtime_types_name_types_of_modules_that_import_them() -> None:
    """Type-only imports close no circle either, but for data.py's.

    data.py names the types that a loaded entry holds, the coordinator's among
    them, and every module imports data.py: those names are for the type
    checker only. Anywhere else, a type-only import back is a circle in
    disguise (actions.py once took its types from coordinator.py).
    """
    graph = {
        module: run_time_imports(module, with_type_checking=module != "data")[0]
        for module in MODULES
    }
    try:
        list(TopologicalSorter(graph).static_order())
    except CycleError as err:
        pytest.fail(f"modules name each other's types in a circle: {err.args[1]}")


def test_data_imports_none_of_our_modules() -> None:
    """Every module may import the runtime types, because they import nothing back."""
    ours, _ = run_time_imports("data")
    assert ours == set()


@pytest.mark.parametrize("module", PURE)
def test_pure_modules_import_nothing_of_home_assistant(module: str) -> None:
    """The pure modules run, and are tested, without Home Assistant."""
    ours, packages = run_time_imports(module)
    assert "homeassistant" not in packages
    assert ours <= set(PURE), f"{module} imports {ours - set(PURE)}"


def test_the_ml_client_takes_only_a_session_from_home_assistant() -> None:
    """api.py talks aiohttp; Home Assistant hands it its shared session."""
    _, packages = run_time_imports("api")
    assert "homeassistant" not in packages
    assert "aiohttp" in packages


def test_the_guard_sees_an_import_under_type_checking_as_none() -> None:
    """The reader itself: a circle through a TYPE_CHECKING import is no circle."""
    ours, _ = run_time_imports("data")
    source = (PACKAGE / "data.py").read_text()
    assert "from .coordinator import PrinterCoordinator" in source
    assert "coordinator" not in ours
