"""Bulk seeding for the sweep's scale tests and benchmarks: cases, clocks and due timers written
with multi-row INSERTs (not through the API), each case with a valid first event so the audit
chain still verifies after the daemons have worked on it.

Each seeded case is in ``handling`` with two running clocks whose deadlines have passed
(``investigation`` and ``order_payment``) and their breach timers due. Under the national pack
that makes three rules fire per case: investigation_overdue (超期预警 to handler and county
office), crime_screen (移送公安 proposed: a pending decision and the 移送审批表 to the head, the
leader role) and blacklist_screen (列入失信名单 proposed: the 提请决定审批表 to the head) — four
notices per case (``NOTICES_PER_CASE``), and nothing a person must decide is performed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from zhiqian.store.audit import GENESIS, chain_hash
from zhiqian.store.tables import CaseRow, ClockRow, EventRow, TimerRow, table_of

NATIONAL = Path(__file__).resolve().parents[2] / "rules" / "packs" / "national.yaml"
RULES_PER_CASE = ("blacklist_screen", "crime_screen", "investigation_overdue")
PROPOSED_PER_CASE = ("blacklist", "refer_police")  # the acts its rules propose, by name
NOTICES_PER_CASE = 4

_cases = table_of(CaseRow)
_events = table_of(EventRow)
_clocks = table_of(ClockRow)
_timers = table_of(TimerRow)


def write_pack(folder: Path, *, routing: str, name: str = "proc-test") -> Path:
    """The national pack with its routing replaced (e.g. every role on the file channel)."""
    text = NATIONAL.read_text(encoding="utf-8")
    head, _, _ = text.partition("\nrouting:")
    head = head.replace("pack: national\n", f"pack: {name}\n", 1)
    path = folder / f"{name}.yaml"
    path.write_text(head + "\nrouting:\n" + routing, encoding="utf-8")
    return path


FILE_ROUTING = """\
  roles:
    - {id: handler, label: 办案人员, level: same, channels: [file]}
    - {id: county_office, label: 县级劳动保障监察机构, level: county, channels: [file]}
    - {id: city_office, label: 市级人社部门, level: city, channels: [file]}
    - {id: province_office, label: 省级人社部门, level: province, channels: [file]}
    - {id: leader, label: 分管领导, level: same, channels: [file]}
"""


def _chunks(n: int, size: int) -> Iterator[range]:
    for start in range(0, n, size):
        yield range(start, min(n, start + size))


def seed_cases(
    bind: sa.Engine,
    n: int,
    *,
    now: datetime,
    pack_name: str = "national",
    pack_version: str = "2026.1",
    due: bool = True,
    state: str = "handling",
    chunk: int = 2000,
    ref_prefix: str = "BULK",
) -> None:
    """``n`` cases with clocks and timers; ``due=False`` puts every deadline a year ahead (open
    cases with nothing due: the sweep must not even look at them)."""
    deadline = now - timedelta(days=1) if due else now + timedelta(days=365)
    started = deadline - timedelta(days=90)
    with bind.begin() as conn:
        base = conn.execute(sa.select(sa.func.coalesce(sa.func.max(_cases.c.id), 0))).scalar_one()
    for part in _chunks(n, chunk):
        cases: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        clocks: list[dict[str, Any]] = []
        timers: list[dict[str, Any]] = []
        for i in part:
            case_id = base + i + 1
            event = {
                "case_id": case_id,
                "seq": 1,
                "at": started,
                "actor": "seed",
                "event": "received",
                "from_state": None,
                "to_state": state,
                "reason": None,
                "rule_id": None,
                "pack_name": pack_name,
                "pack_version": pack_version,
                "payload": {},
                "prev_hash": GENESIS,
            }
            event["hash"] = chain_hash(event)
            events.append(event)
            cases.append(
                {
                    "id": case_id,
                    "ref": f"{ref_prefix}-{case_id:08d}",
                    "channel": "platform",
                    "received_at": started,
                    "region": "140302",
                    "handling_region": "140302",
                    "level": "county",
                    "state": state,
                    "previous_state": None,
                    "version": 1,
                    "head_hash": event["hash"],
                    "pack_name": pack_name,
                    "pack_version": pack_version,
                    "employer_name": f"阳泉市某建筑工程有限公司{case_id}",
                    "employer_uscc": None,
                    "employer_category": "construction",
                    "workers": 12,
                    "migrant_workers": 12,
                    "amount": Decimal("50000.00"),
                    "migrant_amount": Decimal("50000.00"),
                    "complainant_name": "张三",
                    "complainant_phone": "13812345678",
                    "flags": [],
                    "summary": "",
                    "extra": {},
                    "created_at": started,
                    "updated_at": started,
                    "orders_to_correct": 1,
                }
            )
            for clock_id in ("investigation", "order_payment"):
                clocks.append(
                    {
                        "case_id": case_id,
                        "clock_id": clock_id,
                        "cycle": 1,
                        "status": "running",
                        "started_at": started,
                        "deadline_at": deadline,
                        "assumed": False,
                        "paused_since": None,
                        "pauses": [],
                        "extensions": [],
                        "limit_override": None,
                        "warned": 0,
                        "breached_at": None,
                        "ended_at": None,
                        "trace": {},
                        "pack_version": pack_version,
                        "updated_at": started,
                    }
                )
                timers.append(
                    {
                        "case_id": case_id,
                        "clock_id": clock_id,
                        "cycle": 1,
                        "kind": "breach",
                        "seq": 0,
                        "due_at": deadline,
                        "attempts": 0,
                    }
                )
        with bind.begin() as conn:
            conn.execute(sa.insert(_cases), cases)
            conn.execute(sa.insert(_events), events)
            conn.execute(sa.insert(_clocks), clocks)
            conn.execute(sa.insert(_timers), timers)
    if bind.dialect.name == "postgresql":
        with bind.begin() as conn:  # explicit ids: move the sequence past them
            conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('zq_cases', 'id'), "
                "(SELECT max(id) FROM zq_cases))"
            )
            conn.exec_driver_sql("ANALYZE")
