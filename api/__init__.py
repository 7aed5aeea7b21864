"""zhiqian (治欠): a workflow engine for wage-arrears complaint cases with legal time limits.

Everything a host system needs is exported here; the modules behind it are internal.
"""

from __future__ import annotations

from zhiqian.clock import Clock as Clock
from zhiqian.clock import FrozenClock as FrozenClock
from zhiqian.clock import SystemClock as SystemClock
from zhiqian.errors import AuditError as AuditError
from zhiqian.errors import CaseNotFound as CaseNotFound
from zhiqian.errors import ConflictError as ConflictError
from zhiqian.errors import DuplicateCase as DuplicateCase
from zhiqian.errors import ExtensionRefused as ExtensionRefused
from zhiqian.errors import FieldProblem as FieldProblem
from zhiqian.errors import InvalidIntake as InvalidIntake
from zhiqian.errors import NotifierError as NotifierError
from zhiqian.errors import Refused as Refused
from zhiqian.errors import RuleError as RuleError
from zhiqian.errors import RuleProblem as RuleProblem
from zhiqian.errors import StoreError as StoreError
from zhiqian.errors import TransitionRefused as TransitionRefused
from zhiqian.errors import ZhiqianError as ZhiqianError

__version__ = "0.1.0"

__all__ = [
    "AuditError",
    "CaseNotFound",
    "Clock",
    "ConflictError",
    "DuplicateCase",
    "ExtensionRefused",
    "FieldProblem",
    "FrozenClock",
    "InvalidIntake",
    "NotifierError",
    "Refused",
    "RuleError",
    "RuleProblem",
    "StoreError",
    "SystemClock",
    "TransitionRefused",
    "ZhiqianError",
    "__version__",
]
