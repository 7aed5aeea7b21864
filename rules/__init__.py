"""zhiqian.rules: rule packs (schema, loader, conditions), limits, the legal calendar, deadlines.

The public names are loaded lazily (PEP 562): the condition language (rule-engine) costs about
half a second to import, and a host that only needs ``Limit`` or the calendar should not pay it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zhiqian.rules.calendar import LegalCalendar as LegalCalendar
    from zhiqian.rules.conditions import Condition as Condition
    from zhiqian.rules.conditions import ConditionContext as ConditionContext
    from zhiqian.rules.conditions import compile_condition as compile_condition
    from zhiqian.rules.deadlines import Deadline as Deadline
    from zhiqian.rules.deadlines import compute_deadline as compute_deadline
    from zhiqian.rules.limits import Limit as Limit
    from zhiqian.rules.limits import LimitUnit as LimitUnit
    from zhiqian.rules.limits import parse_limit as parse_limit
    from zhiqian.rules.loader import PACKS_DIR as PACKS_DIR
    from zhiqian.rules.loader import RulePack as RulePack
    from zhiqian.rules.loader import check_pack as check_pack
    from zhiqian.rules.loader import load_pack as load_pack
    from zhiqian.rules.schema import PREVIOUS_STATE as PREVIOUS_STATE
    from zhiqian.rules.schema import ActionSpec as ActionSpec
    from zhiqian.rules.schema import ClockSpec as ClockSpec
    from zhiqian.rules.schema import EscalationSpec as EscalationSpec
    from zhiqian.rules.schema import EventSpec as EventSpec
    from zhiqian.rules.schema import LifecycleSpec as LifecycleSpec
    from zhiqian.rules.schema import StateSpec as StateSpec
    from zhiqian.rules.schema import Status as Status
    from zhiqian.rules.schema import Trigger as Trigger

_WHERE: dict[str, str] = {
    "LegalCalendar": "calendar",
    "Condition": "conditions",
    "ConditionContext": "conditions",
    "compile_condition": "conditions",
    "Deadline": "deadlines",
    "compute_deadline": "deadlines",
    "Limit": "limits",
    "LimitUnit": "limits",
    "parse_limit": "limits",
    "PACKS_DIR": "loader",
    "RulePack": "loader",
    "check_pack": "loader",
    "load_pack": "loader",
    "PREVIOUS_STATE": "schema",
    "ActionSpec": "schema",
    "ClockSpec": "schema",
    "EscalationSpec": "schema",
    "EventSpec": "schema",
    "LifecycleSpec": "schema",
    "StateSpec": "schema",
    "Status": "schema",
    "Trigger": "schema",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'zhiqian.rules' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"zhiqian.rules.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
