"""The CLI's layout: one module per command group, library calls by name, never by string."""

from __future__ import annotations

import ast
from pathlib import Path

import zhiqian.engine.cli as cli_package
from zhiqian.engine.cli import app

CLI_DIR = Path(cli_package.__file__).parent


def test_each_command_group_is_its_own_module() -> None:
    groups = {
        g.name: {c.callback.__module__ for c in g.typer_instance.registered_commands}  # type: ignore[union-attr]
        for g in app.registered_groups
    }
    assert groups == {
        "db": {"zhiqian.engine.cli.db"},
        "case": {"zhiqian.engine.cli.cases", "zhiqian.engine.cli.decisions"},
        "rules": {"zhiqian.engine.cli.rules"},
        "notices": {"zhiqian.engine.cli.notices"},
        "report": {"zhiqian.engine.cli.reports", "zhiqian.engine.cli.performance"},
        "audit": {"zhiqian.engine.cli.audit"},
        "token": {"zhiqian.engine.cli.http"},
    }
    root = {c.name: c.callback.__module__ for c in app.registered_commands}  # type: ignore[union-attr]
    assert root == {
        "overdue": "zhiqian.engine.cli.deadlines",
        "sweep": "zhiqian.engine.cli.deadlines",
        "daemon": "zhiqian.engine.cli.daemon",
        "demo": "zhiqian.engine.cli.demo",
        "stats": "zhiqian.engine.cli.performance",
        "serve": "zhiqian.engine.cli.http",
    }


def _string_lookups(path: Path) -> list[str]:
    """Places where a module's code reaches the library through a name held in a string."""
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names]
            module = node.module if isinstance(node, ast.ImportFrom) else None
            if module == "importlib" or module == "importlib.util" or "importlib" in names:
                found.append(f"{path.name}:{node.lineno}: imports importlib")
        elif (
            isinstance(node, ast.Attribute)
            and node.attr == "modules"
            and isinstance(node.value, ast.Name)
            and node.value.id == "sys"
        ):
            found.append(f"{path.name}:{node.lineno}: reads sys.modules")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("__import__", "import_module", "find_spec")
        ):
            found.append(f"{path.name}:{node.lineno}: calls {node.func.id}")
    return found


def test_no_cli_module_looks_the_library_up_by_string() -> None:
    modules = sorted(CLI_DIR.glob("*.py"))
    assert len(modules) >= 12  # the groups, the root, the helpers: the walk saw them
    # app.py keeps one look-up that is not of the library: whether SQLAlchemy was loaded at all,
    # so that an unusable database is reported without importing it for every other error.
    allowed = {"app.py": 1}
    for path in modules:
        lookups = _string_lookups(path)
        assert len(lookups) == allowed.get(path.name, 0), lookups
