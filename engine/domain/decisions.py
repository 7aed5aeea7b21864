"""Decisions on the acts the law reserves to a person — the pure part: who decides, whether the
act is still open to decide, and what a proposal carries. No I/O.

The acts (``zhiqian.rules.schema.RESERVED_ACTS``): 移送公安 (国务院令第310号 第五条: the head of the
office decides within 3 days of the report), 挂牌督办 and 提级办理 (the higher office decides),
列入失信联合惩戒名单 (人社部令第45号's procedure), 领导包案 (a leader is named). A rule recommends; a
named person decides; only then the act happens, its document is issued and it counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

from zhiqian.errors import Refused
from zhiqian.rules.divisions import level_of, parent
from zhiqian.rules.schema import RESERVED_ACTS, ActionSpec, DecisionSpec
from zhiqian.store.records import CaseRecord

__all__ = [
    "VERDICTS",
    "Verdict",
    "already",
    "decider_division",
    "proposal_params",
    "supervising_division",
]

Verdict = Literal["approve", "reject"]
VERDICTS: Final[tuple[Verdict, ...]] = ("approve", "reject")

_RANK: Final = {"county": 0, "city": 1, "province": 2}


def supervising_division(case: CaseRecord, by: str) -> str | None:
    """The office that supervises (挂牌督办) the case at level ``by``: never the office handling
    it — a case handled at city level is supervised by the province. None: no office above."""
    wanted = _RANK.get(by, 1)
    at = parent(case.handling_region)
    while at is not None and _RANK.get(level_of(at), 0) < wanted:
        at = parent(at)
    return at


def decider_division(
    act: str, spec: DecisionSpec, case: CaseRecord, params: Mapping[str, Any]
) -> str:
    """The office whose ``spec.by`` decides: the handling office, or the one above it."""
    if spec.office == "same":
        return case.handling_region
    if act == "supervise":
        found = supervising_division(case, str(params.get("by", "city")))
    else:
        found = parent(case.handling_region)
    if found is None:
        raise Refused(
            f"case {case.id} is handled at province level: there is no higher office to "
            f"decide {RESERVED_ACTS[act]}"
        )
    return found


def already(case: CaseRecord, act: str, params: Mapping[str, Any]) -> str | None:
    """Why ``act`` needs no decision any more (done already), or None."""
    if act == "refer_police" and case.police_referred_at is not None:
        return f"case {case.id} was referred to the police on {case.police_referred_at:%Y-%m-%d}"
    if act == "supervise" and case.supervised_by is not None:
        by = str(params.get("by", "city"))
        if _RANK.get(case.supervised_by, 0) >= _RANK.get(by, 1):
            return f"case {case.id} is supervised (挂牌督办) at {case.supervised_by} level already"
    if act == "blacklist" and case.blacklisted:
        return f"the employer of case {case.id} is listed (失信联合惩戒名单) already"
    if act == "assign_leader" and case.leader:
        return f"case {case.id} has a leader (包案领导) already: {case.leader}"
    if act == "raise_level" and parent(case.handling_region) is None:
        return f"case {case.id} is handled at province level: no higher office to raise it to"
    return None


def proposal_params(action: ActionSpec, *, suggested_leader: str | None = None) -> dict[str, Any]:
    """What a rule's reserved act proposes (JSON-safe): the supervising level, the clocks of a
    提级, the title of the 包案领导 (and a name from the directory, which the decider confirms)."""
    if action.supervise is not None:
        return {"by": action.supervise.by}
    if action.raise_level is not None:
        return {"clocks": action.raise_level.clocks}
    if action.assign_leader is not None:
        out: dict[str, Any] = {"role": action.assign_leader.role}
        if suggested_leader:
            out["leader"] = suggested_leader
        return out
    return {}
