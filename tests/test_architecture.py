"""The import contract: ARCHITECTURE.md's dependency rules, checked on the source by an AST walk.

Every ``.py`` file under the package folders is read (folders map to ``zhiqian.*`` names as
``[tool.setuptools] package-dir`` in pyproject.toml says) and every import of it counts: top
level, under ``TYPE_CHECKING``, inside functions, ``importlib.import_module("…")`` /
``__import__("…")`` with a literal, and any string literal that is exactly one of our module
names (``"zhiqian.engine.outbox"``, or ``"zhiqian.engine.outbox:deliver"``) — a module looked up
by its path is imported all the same. ``from pkg import name`` counts as importing ``pkg.name``
when that is a module of ours, else ``pkg``. Nothing is imported or executed, so the test needs
neither the network nor the database.

The rules (each violation names the importer, the imported module, file:line and the rule):

R1  the leaves ``zhiqian.errors``, ``zhiqian.clock``, ``zhiqian.masking``, ``zhiqian.text``
    import nothing of ours
R2  ``zhiqian.rules`` imports only the leaves (and itself)
R3  ``zhiqian.store`` and ``zhiqian.notifiers`` never import ``zhiqian.engine``
R4  ``zhiqian.engine.domain`` imports of ours only ``zhiqian.rules``, ``zhiqian.store.records``,
    the leaves and itself; no SQL library, no environment (``os.environ``, ``os.getenv``), no
    file I/O (``open()``, ``Path`` reads and writes, ``os`` file functions)
R5  ``zhiqian.engine.commands`` never imports ``zhiqian.engine.jobs``
R6  only ``zhiqian.engine.engine`` imports ``commands``, ``queries`` and ``jobs``; among
    themselves, each imports itself and ``jobs`` may import ``commands`` and ``queries``
R7  nothing under ``zhiqian.engine`` imports ``zhiqian.engine.engine`` (the facade)
R8  nothing in the library imports the edges: ``zhiqian.engine.cli``, ``zhiqian.engine.service``
    and ``zhiqian.engine.http`` (the edges may use one another: ``zhiqian serve`` runs the app)
R9  ``cli`` and ``service`` import only public names: ``PUBLIC`` below (the facade ``zhiqian``
    and its leaf modules, ``zhiqian.testing``, ``zhiqian.notifiers``), the definitions
    (``zhiqian.rules`` and its modules), the report builders (``zhiqian.engine.reports`` and its
    modules), and the edges (their own package and the other two)
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pytest

ROOT = Path(__file__).resolve().parent.parent

LEAVES: Final = frozenset({"zhiqian.errors", "zhiqian.clock", "zhiqian.masking", "zhiqian.text"})
# What cli and service may import of ours: the curated facades, each with its own __all__.
PUBLIC: Final = frozenset({"zhiqian", "zhiqian.testing", "zhiqian.notifiers", *LEAVES})
# Public packages whose modules are public too (no module of theirs starts with "_").
PUBLIC_PACKAGES: Final = ("zhiqian.rules", "zhiqian.engine.reports")
CLI: Final = "zhiqian.engine.cli"
SERVICE: Final = "zhiqian.engine.service"
HTTP: Final = "zhiqian.engine.http"
EDGES: Final = (CLI, SERVICE, HTTP)
FACADE: Final = "zhiqian.engine.engine"
USE_CASES: Final = ("zhiqian.engine.commands", "zhiqian.engine.queries", "zhiqian.engine.jobs")
DOMAIN: Final = "zhiqian.engine.domain"

SQL_LIBRARIES: Final = frozenset({"sqlalchemy", "sqlmodel", "alembic", "psycopg", "sqlite3"})
ENVIRONMENT: Final = frozenset({"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"})
PATH_IO: Final = frozenset(
    {
        "read_text",
        "write_text",
        "read_bytes",
        "write_bytes",
        "open",
        "iterdir",
        "glob",
        "rglob",
        "mkdir",
        "rmdir",
        "unlink",
        "touch",
        "exists",
        "is_file",
        "is_dir",
    }
)
_MODULE_PATH: Final = re.compile(r"^zhiqian(\.\w+)+(:\w+)?$")  # a bare "zhiqian" is a label
OS_FILES: Final = frozenset(
    {"listdir", "scandir", "walk", "remove", "unlink", "makedirs", "mkdir", "rename", "stat"}
)


# --------------------------------------------------------------------------- reading the tree


def package_folders() -> dict[str, str]:
    """folder → package name, from pyproject.toml (the one place that says it)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    mapping: dict[str, str] = config["tool"]["setuptools"]["package-dir"]
    return {folder: package for package, folder in mapping.items()}


def source_tree() -> dict[str, tuple[str, str]]:
    """module name → (path shown in messages, source text) for every module we ship."""
    tree: dict[str, tuple[str, str]] = {}
    folders = package_folders()
    for folder, package in folders.items():
        base = ROOT / folder
        for path in sorted(base.rglob("*.py")):
            rel = path.relative_to(base)
            if "__pycache__" in rel.parts:
                continue
            inner = rel.parent.parts if rel.name == "__init__.py" else rel.with_suffix("").parts
            name = ".".join([package, *inner])
            tree[name] = (str(path.relative_to(ROOT)), path.read_text("utf-8"))
    return tree


@dataclass(frozen=True, slots=True)
class Import:
    importer: str
    imported: str  # a module name (ours or third-party), as far as it resolves
    where: str  # file:line
    how: str  # "import", "from", "by string", "under TYPE_CHECKING", "in a function"


@dataclass(frozen=True, slots=True)
class Use:
    """A call or attribute the domain must not use (environment, file I/O)."""

    module: str
    what: str
    where: str


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _ours(name: str) -> bool:
    return _within(name, "zhiqian")


def _resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str:
    parts = module.split(".")
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    return ".".join([*parts, target] if target else parts)


class _Walker(ast.NodeVisitor):
    def __init__(self, module: str, path: str, is_package: bool, known: frozenset[str]) -> None:
        self.module = module
        self.path = path
        self.is_package = is_package
        self.known = known
        self.imports: list[Import] = []
        self.uses: list[Use] = []
        self._context: list[str] = []

    def _how(self, default: str) -> str:
        return self._context[-1] if self._context else default

    def _add(self, imported: str, node: ast.AST, how: str) -> None:
        line = getattr(node, "lineno", 0)
        self.imports.append(Import(self.module, imported, f"{self.path}:{line}", how))

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        is_tc = (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
        )
        if is_tc:
            self._context.append("under TYPE_CHECKING")
            for child in node.body:
                self.visit(child)
            self._context.pop()
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._context.append("in a function")
        self.generic_visit(node)
        self._context.pop()

    visit_FunctionDef = _function  # noqa: N815 - the visitor protocol names them
    visit_AsyncFunctionDef = _function  # noqa: N815

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node, self._how("import"))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = (
            _resolve_relative(self.module, self.is_package, node.level, node.module)
            if node.level
            else (node.module or "")
        )
        for alias in node.names:
            candidate = f"{base}.{alias.name}"
            self._add(candidate if candidate in self.known else base, node, self._how("from"))
            if base == "os" and alias.name in ENVIRONMENT:
                self._use(f"os.{alias.name}", node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = (
            func.id
            if isinstance(func, ast.Name)
            else func.attr
            if isinstance(func, ast.Attribute)
            else ""
        )
        if name in {"import_module", "__import__"} and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                self._add(arg.value, node, "by string")
        if isinstance(func, ast.Name) and func.id == "open":
            self._use("open()", node)
        elif isinstance(func, ast.Attribute):
            owner = func.value
            if (
                isinstance(owner, ast.Name)
                and owner.id == "os"
                and func.attr in OS_FILES | ENVIRONMENT
            ):
                self._use(f"os.{func.attr}()", node)
            elif isinstance(owner, ast.Name) and owner.id == "io" and func.attr == "open":
                self._use("io.open()", node)
            elif func.attr in PATH_IO:
                self._use(f".{func.attr}() (file I/O)", node)
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.value, ast.Name) and node.value.id == "os" and node.attr in ENVIRONMENT:
            self._use(f"os.{node.attr}", node)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        # "zhiqian.engine.outbox" or "zhiqian.engine.outbox:deliver", nothing else (no prose)
        if isinstance(node.value, str) and _MODULE_PATH.match(node.value):
            text = node.value.split(":", 1)[0]
            if text in self.known and text != self.module:
                self._add(text, node, "by string")

    def _use(self, what: str, node: ast.AST) -> None:
        self.uses.append(Use(self.module, what, f"{self.path}:{getattr(node, 'lineno', 0)}"))


def scan(tree: Mapping[str, tuple[str, str]]) -> tuple[list[Import], list[Use]]:
    known = frozenset(tree)
    imports: list[Import] = []
    uses: list[Use] = []
    for module, (path, text) in sorted(tree.items()):
        walker = _Walker(module, path, path.endswith("__init__.py"), known)
        walker.visit(ast.parse(text, filename=path))
        imports += walker.imports
        uses += walker.uses
    # de-duplicate the `from m import a, b` repeats
    return sorted(set(imports), key=_place), sorted(set(uses), key=_place)


def _place(item: Import | Use) -> tuple[str, int, str]:
    path, line = item.where.rsplit(":", 1)
    return path, int(line), item.imported if isinstance(item, Import) else item.what


# --------------------------------------------------------------------------- the rules


Check = Callable[[Import], bool]  # True: the import breaks the rule


def _r1(i: Import) -> bool:
    return i.importer in LEAVES and _ours(i.imported) and i.imported != i.importer


def _r2(i: Import) -> bool:
    return (
        _within(i.importer, "zhiqian.rules")
        and _ours(i.imported)
        and not _within(i.imported, "zhiqian.rules")
        and i.imported not in LEAVES
    )


def _r3(i: Import) -> bool:
    return (
        _within(i.importer, "zhiqian.store") or _within(i.importer, "zhiqian.notifiers")
    ) and _within(i.imported, "zhiqian.engine")


def _r4(i: Import) -> bool:
    if not _within(i.importer, DOMAIN):
        return False
    if i.imported.split(".")[0] in SQL_LIBRARIES:
        return True
    return _ours(i.imported) and not (
        _within(i.imported, "zhiqian.rules")
        or _within(i.imported, "zhiqian.store.records")
        or i.imported in LEAVES
        or _within(i.imported, DOMAIN)
    )


def _r5(i: Import) -> bool:
    return _within(i.importer, "zhiqian.engine.commands") and _within(
        i.imported, "zhiqian.engine.jobs"
    )


def _r6(i: Import) -> bool:
    target = next((u for u in USE_CASES if _within(i.imported, u)), None)
    if target is None or i.importer == FACADE or _within(i.importer, target):
        return False
    jobs = "zhiqian.engine.jobs"
    return not (_within(i.importer, jobs) and target != jobs)


def _r7(i: Import) -> bool:
    return (
        _within(i.importer, "zhiqian.engine")
        and i.importer != FACADE
        and _within(i.imported, FACADE)
    )


def _edge(name: str) -> bool:
    return any(_within(name, e) for e in EDGES)


def _public(name: str) -> bool:
    return name in PUBLIC or any(
        _within(name, p) and not any(part.startswith("_") for part in name.split("."))
        for p in PUBLIC_PACKAGES
    )


def _r8(i: Import) -> bool:
    return _edge(i.imported) and not _edge(i.importer)


def _r9(i: Import) -> bool:
    if not (_within(i.importer, CLI) or _within(i.importer, SERVICE)):
        return False
    return _ours(i.imported) and not (_public(i.imported) or _edge(i.imported))


RULES: Final[Mapping[str, tuple[str, Check]]] = {
    "R1": ("the leaves (errors, clock, masking, text) import nothing of ours", _r1),
    "R2": ("rules imports only the leaves", _r2),
    "R3": ("store and notifiers never import engine", _r3),
    "R4": ("engine.domain imports only rules, store.records, the leaves (no SQL library)", _r4),
    "R5": ("commands never import jobs", _r5),
    "R6": ("only engine.engine sees commands, queries and jobs (jobs may use the other two)", _r6),
    "R7": ("nothing under engine/ imports the facade engine.engine", _r7),
    "R8": (
        "nothing in the library imports the edges (engine.cli, engine.service, engine.http)",
        _r8,
    ),
    "R9": (
        f"cli and service import only public names ({', '.join(sorted(PUBLIC))}, the modules "
        f"of {', '.join(PUBLIC_PACKAGES)}, and the edges)",
        _r9,
    ),
}


def violations(imports: list[Import], uses: list[Use]) -> Iterator[tuple[str, str]]:
    """(rule id, message) for every import or use that breaks a rule."""
    for rule, (text, check) in RULES.items():
        for i in imports:
            if check(i):
                yield rule, f"{i.importer} imports {i.imported} ({i.where}, {i.how}): {rule} {text}"
    for use in uses:
        if _within(use.module, DOMAIN):
            yield (
                "R4",
                f"{use.module} uses {use.what} ({use.where}): R4 engine.domain reads no "
                "environment and does no file I/O",
            )


# --------------------------------------------------------------------------- the tests


@pytest.fixture(scope="module")
def found() -> list[tuple[str, str]]:
    return list(violations(*scan(source_tree())))


@pytest.mark.parametrize("rule", list(RULES))
def test_the_tree_keeps_the_import_contract(found: list[tuple[str, str]], rule: str) -> None:
    broken = [message for r, message in found if r == rule]
    assert not broken, f"{len(broken)} violation(s) of {rule}:\n" + "\n".join(broken)


def test_the_walk_sees_the_whole_tree() -> None:
    tree = source_tree()
    for expected in (
        "zhiqian",
        "zhiqian.errors",
        FACADE,
        "zhiqian.rules.loader",
        DOMAIN,
        "zhiqian.store.tables",
        "zhiqian.notifiers._types",
        CLI,
    ):
        assert expected in tree, expected
    imports, _ = scan(tree)
    edges = {(i.importer, i.imported) for i in imports}
    assert ("zhiqian.rules.loader", "zhiqian.errors") in edges
    assert (FACADE, "sqlalchemy") in edges


SYNTHETIC: Final = {
    "zhiqian": ("api/__init__.py", "from zhiqian.engine.engine import Engine\n"),
    "zhiqian.errors": ("api/errors.py", "from zhiqian.rules import limits\n"),
    "zhiqian.rules": ("rules/__init__.py", ""),
    "zhiqian.rules.limits": ("rules/limits.py", "from zhiqian.store import tables\n"),
    "zhiqian.store": ("store/__init__.py", ""),
    "zhiqian.store.tables": (
        "store/tables.py",
        "def f():\n    from zhiqian.engine import views\n",
    ),
    "zhiqian.store.records": ("store/records.py", ""),
    "zhiqian.engine": ("engine/__init__.py", ""),
    "zhiqian.engine.views": ("engine/views.py", ""),
    "zhiqian.engine.engine": (
        "engine/engine.py",
        "from zhiqian.engine.commands import change\nfrom zhiqian.engine.jobs import sweep\n",
    ),
    "zhiqian.engine.domain": ("engine/domain/__init__.py", ""),
    "zhiqian.engine.domain.clocks": (
        "engine/domain/clocks.py",
        "import os\nimport sqlalchemy as sa\nfrom typing import TYPE_CHECKING\n"
        "from zhiqian.store import records\nfrom ..domain import lifecycle\n"
        "if TYPE_CHECKING:\n    from zhiqian.store.tables import CaseRow\n"
        "X = os.environ.get('X')\nT = open('f').read()\n",
    ),
    "zhiqian.engine.domain.lifecycle": ("engine/domain/lifecycle.py", ""),
    "zhiqian.engine.commands": ("engine/commands/__init__.py", ""),
    "zhiqian.engine.commands.change": (
        "engine/commands/change.py",
        "from zhiqian.engine.jobs.sweep import run\n",
    ),
    "zhiqian.engine.jobs": ("engine/jobs/__init__.py", ""),
    "zhiqian.engine.jobs.sweep": (
        "engine/jobs/sweep.py",
        "from zhiqian.engine.commands import change\nfrom zhiqian.engine.engine import Engine\n",
    ),
    "zhiqian.engine.cli": (
        "engine/cli/__init__.py",
        "import zhiqian\nfrom zhiqian.rules import load_pack\nfrom zhiqian.engine import service\n"
        "from zhiqian.engine.views import CaseView\nM = 'zhiqian.engine.jobs.sweep:run'\n",
    ),
    "zhiqian.engine.service": ("engine/service/__init__.py", "from zhiqian import testing\n"),
    "zhiqian.testing": ("api/testing.py", "from zhiqian.engine.cli import main\n"),
}


def test_each_rule_fires_on_a_tree_that_breaks_it() -> None:
    """The contract test can fail: a small made-up tree breaks every rule once or more."""
    got = list(violations(*scan(SYNTHETIC)))
    by_rule: dict[str, list[str]] = {}
    for rule, message in got:
        by_rule.setdefault(rule, []).append(message)
    assert set(by_rule) == set(RULES)
    assert by_rule["R1"] == [
        "zhiqian.errors imports zhiqian.rules.limits (api/errors.py:1, from): "
        "R1 the leaves (errors, clock, masking, text) import nothing of ours"
    ]
    assert any(
        "zhiqian.store.tables imports zhiqian.engine.views" in m and "in a function" in m
        for m in by_rule["R3"]
    )
    domain = "\n".join(by_rule["R4"])
    assert "imports sqlalchemy" in domain
    assert "imports zhiqian.store.tables" in domain
    assert "under TYPE_CHECKING" in domain
    assert "uses os.environ" in domain
    assert "uses open()" in domain
    assert "imports zhiqian.store.records" not in domain  # allowed
    assert "imports zhiqian.engine.domain.lifecycle" not in domain  # relative, own package
    assert [m.split(" (")[0] for m in by_rule["R5"]] == [
        "zhiqian.engine.commands.change imports zhiqian.engine.jobs.sweep"
    ]
    r6 = [m.split(" (")[0] for m in by_rule["R6"]]
    assert "zhiqian.engine.commands.change imports zhiqian.engine.jobs.sweep" in r6
    assert "zhiqian.engine.cli imports zhiqian.engine.jobs.sweep" in r6  # by string
    assert not any(m.startswith("zhiqian.engine.engine ") for m in r6)  # the facade may
    assert not any(
        m.startswith("zhiqian.engine.jobs.sweep imports zhiqian.engine.commands") for m in r6
    )  # jobs may use commands
    assert [m.split(" (")[0] for m in by_rule["R7"]] == [
        "zhiqian.engine.jobs.sweep imports zhiqian.engine.engine"
    ]
    assert [m.split(" (")[0] for m in by_rule["R8"]] == [
        "zhiqian.testing imports zhiqian.engine.cli"
    ]
    r9 = sorted(m.split(" (")[0] for m in by_rule["R9"])
    assert r9 == [
        "zhiqian.engine.cli imports zhiqian.engine.jobs.sweep",
        "zhiqian.engine.cli imports zhiqian.engine.views",
    ]
