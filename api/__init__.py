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
    from zhiqian.engine.domain.intake import Complaint as Complaint
    from zhiqian.engine.domain.intake import read_records as read_records
    from zhiqian.engine.domain.lifecycle import Lifecycle as Lifecycle
    from zhiqian.engine.engine import NOTICE_STATUSES as NOTICE_STATUSES
    from zhiqian.engine.engine import CaseDryRun as CaseDryRun
    from zhiqian.engine.engine import ClockChange as ClockChange
    from zhiqian.engine.engine import DeliveryPolicy as DeliveryPolicy
    from zhiqian.engine.engine import DeliveryReport as DeliveryReport
    from zhiqian.engine.engine import DryRun as DryRun
    from zhiqian.engine.engine import DryRunTotals as DryRunTotals
    from zhiqian.engine.engine import Engine as Engine
    from zhiqian.engine.engine import NoticeView as NoticeView
    from zhiqian.engine.engine import RuleFiring as RuleFiring
    from zhiqian.engine.engine import SweepResult as SweepResult
    from zhiqian.engine.engine import TokenRecord as TokenRecord
    from zhiqian.engine.engine import default_worker as default_worker
    from zhiqian.engine.performance_views import Figures as Figures
    from zhiqian.engine.performance_views import LightTally as LightTally
    from zhiqian.engine.performance_views import OverdueEntry as OverdueEntry
    from zhiqian.engine.performance_views import Performance as Performance
    from zhiqian.engine.performance_views import TrendPoint as TrendPoint
    from zhiqian.engine.reports import ReportCase as ReportCase
    from zhiqian.engine.routing import LeaderDirectory as LeaderDirectory
    from zhiqian.engine.routing import Router as Router
    from zhiqian.engine.views import CaseEvent as CaseEvent
    from zhiqian.engine.views import CaseSummary as CaseSummary
    from zhiqian.engine.views import CaseView as CaseView
    from zhiqian.engine.views import ClockExplanation as ClockExplanation
    from zhiqian.engine.views import ClockView as ClockView
    from zhiqian.engine.views import DeadlineMove as DeadlineMove
    from zhiqian.engine.views import DecisionView as DecisionView
    from zhiqian.engine.views import DueItem as DueItem
    from zhiqian.engine.views import EscalationExplanation as EscalationExplanation
    from zhiqian.engine.views import EscalationRecord as EscalationRecord
    from zhiqian.engine.views import Explanation as Explanation
    from zhiqian.engine.views import Page as Page
    from zhiqian.engine.views import SchemaUpgrade as SchemaUpgrade
    from zhiqian.notifiers import DeliveryResult as DeliveryResult
    from zhiqian.notifiers import Notice as Notice
    from zhiqian.notifiers import NoticeRenderer as NoticeRenderer
    from zhiqian.notifiers import Notifier as Notifier
    from zhiqian.notifiers import RenderedNotice as RenderedNotice
    from zhiqian.rules.calendar import LegalCalendar as LegalCalendar
    from zhiqian.rules.limits import Limit as Limit
    from zhiqian.rules.loader import RulePack as RulePack
    from zhiqian.rules.schema import QuietHours as QuietHours

__version__ = "0.1.0"

# The engine pulls in SQLAlchemy, transitions and the rule compiler: import it on first use so
# that `import zhiqian` (and the CLI's --help) stays cheap. Every type a public method of the
# Engine takes or returns is here (tests/test_api_exports.py walks the signatures); the modules
# are where the types live now — the names are the contract, not the paths.
_LAZY = {
    "Engine": "zhiqian.engine.engine",
    "NOTICE_STATUSES": "zhiqian.engine.engine",
    "TokenRecord": "zhiqian.engine.engine",
    "default_worker": "zhiqian.engine.engine",
    "CaseSummary": "zhiqian.engine.views",
    "SchemaUpgrade": "zhiqian.engine.views",
    "Performance": "zhiqian.engine.performance_views",
    "TrendPoint": "zhiqian.engine.performance_views",
    "OverdueEntry": "zhiqian.engine.performance_views",
    "LightTally": "zhiqian.engine.performance_views",
    "Figures": "zhiqian.engine.performance_views",
    "Router": "zhiqian.engine.routing",
    "LeaderDirectory": "zhiqian.engine.routing",
    "Lifecycle": "zhiqian.engine.domain.lifecycle",
    "read_records": "zhiqian.engine.domain.intake",
    "CaseEvent": "zhiqian.engine.views",
    "CaseView": "zhiqian.engine.views",
    "ClockExplanation": "zhiqian.engine.views",
    "ClockView": "zhiqian.engine.views",
    "DeadlineMove": "zhiqian.engine.views",
    "DecisionView": "zhiqian.engine.views",
    "DueItem": "zhiqian.engine.views",
    "EscalationExplanation": "zhiqian.engine.views",
    "EscalationRecord": "zhiqian.engine.views",
    "Explanation": "zhiqian.engine.views",
    "Page": "zhiqian.engine.views",
    "Complaint": "zhiqian.engine.domain.intake",
    "SweepResult": "zhiqian.engine.engine",
    "DryRun": "zhiqian.engine.engine",
    "DryRunTotals": "zhiqian.engine.engine",
    "CaseDryRun": "zhiqian.engine.engine",
    "ClockChange": "zhiqian.engine.engine",
    "RuleFiring": "zhiqian.engine.engine",
    "DeliveryReport": "zhiqian.engine.engine",
    "DeliveryPolicy": "zhiqian.engine.engine",
    "NoticeRenderer": "zhiqian.notifiers",
    "QuietHours": "zhiqian.rules.schema",
    "NoticeView": "zhiqian.engine.engine",
    "ReportCase": "zhiqian.engine.reports",
    "DeliveryResult": "zhiqian.notifiers",
    "Notice": "zhiqian.notifiers",
    "Notifier": "zhiqian.notifiers",
    "RenderedNotice": "zhiqian.notifiers",
    "LegalCalendar": "zhiqian.rules.calendar",
    "Limit": "zhiqian.rules.limits",
    "RulePack": "zhiqian.rules.loader",
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
    "NOTICE_STATUSES",
    "AuditError",
    "CaseDryRun",
    "CaseEvent",
    "CaseNotFound",
    "CaseSummary",
    "CaseView",
    "Clock",
    "ClockChange",
    "ClockExplanation",
    "ClockView",
    "Complaint",
    "ConflictError",
    "DeadlineMove",
    "DecisionView",
    "DeliveryPolicy",
    "DeliveryReport",
    "DeliveryResult",
    "DryRun",
    "DryRunTotals",
    "DueItem",
    "DuplicateCase",
    "Engine",
    "EscalationExplanation",
    "EscalationRecord",
    "Explanation",
    "ExtensionRefused",
    "FieldProblem",
    "Figures",
    "FrozenClock",
    "InvalidArgument",
    "InvalidIntake",
    "LeaderDirectory",
    "LegalCalendar",
    "Lifecycle",
    "LightTally",
    "Limit",
    "Notice",
    "NoticeRenderer",
    "NoticeView",
    "Notifier",
    "NotifierError",
    "OverdueEntry",
    "Page",
    "Performance",
    "QuietHours",
    "Refused",
    "RenderedNotice",
    "ReportCase",
    "Router",
    "RuleError",
    "RuleFiring",
    "RulePack",
    "RuleProblem",
    "SchemaUpgrade",
    "StoreError",
    "SweepResult",
    "SystemClock",
    "TokenRecord",
    "TransitionRefused",
    "TrendPoint",
    "UnknownName",
    "ZhiqianError",
    "__version__",
    "default_worker",
    "read_records",
]
