"""zhiqian (治欠): a workflow engine for wage-arrears complaint cases with legal time limits.

Everything a host system needs is exported here; the modules behind it are internal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from zhiqian.clock import Clock as Clock
from zhiqian.clock import FrozenClock as FrozenClock
from zhiqian.clock import SystemClock as SystemClock
from zhiqian.errors import AuditError as AuditError
from zhiqian.errors import CaseNotFound as CaseNotFound
from zhiqian.errors import ConflictError as ConflictError
from zhiqian.errors import DuplicateCase as DuplicateCase
from zhiqian.errors import ExtensionRefused as ExtensionRefused
from zhiqian.errors import FieldProblem as FieldProblem
from zhiqian.errors import InvalidArgument as InvalidArgument
from zhiqian.errors import InvalidIntake as InvalidIntake
from zhiqian.errors import NotifierError as NotifierError
from zhiqian.errors import Refused as Refused
from zhiqian.errors import RuleError as RuleError
from zhiqian.errors import RuleProblem as RuleProblem
from zhiqian.errors import StoreError as StoreError
from zhiqian.errors import TransitionRefused as TransitionRefused
from zhiqian.errors import UnknownName as UnknownName
from zhiqian.errors import ZhiqianError as ZhiqianError

if TYPE_CHECKING:
    from zhiqian.engine.engine import Engine as Engine
    from zhiqian.engine.views import CaseEvent as CaseEvent
    from zhiqian.engine.views import CaseView as CaseView
    from zhiqian.engine.views import ClockView as ClockView
    from zhiqian.engine.views import Page as Page

__version__ = "0.1.0"

# The engine pulls in SQLAlchemy, transitions and the rule compiler: import it on first use so
# that `import zhiqian` (and the CLI's --help) stays cheap.
_LAZY = {
    "Engine": "zhiqian.engine.engine",
    "CaseEvent": "zhiqian.engine.views",
    "CaseView": "zhiqian.engine.views",
    "ClockView": "zhiqian.engine.views",
    "Page": "zhiqian.engine.views",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'zhiqian' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "AuditError",
    "CaseEvent",
    "CaseNotFound",
    "CaseView",
    "Clock",
    "ClockView",
    "ConflictError",
    "DuplicateCase",
    "Engine",
    "ExtensionRefused",
    "FieldProblem",
    "FrozenClock",
    "InvalidArgument",
    "InvalidIntake",
    "NotifierError",
    "Page",
    "Refused",
    "RuleError",
    "RuleProblem",
    "StoreError",
    "SystemClock",
    "TransitionRefused",
    "UnknownName",
    "ZhiqianError",
    "__version__",
]
