"""Every statement on ``zq_cases``: prebuilt Core statements, rows out as ``CaseRecord``.

The hot path's statements are built once, at import: SQLAlchemy then reuses their cache keys and
compiled forms instead of rebuilding them on every change (parameters are passed at execution).
No decisions here: what to write is the commands' business.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa

from zhiqian.errors import ConflictError, DuplicateCase, InvalidArgument
from zhiqian.store.records import CaseRecord
from zhiqian.store.tables import CaseRow, DecisionRow, table_of

__all__ = [
    "approved_acts",
    "case_id_of_ref",
    "cases_by_ids",
    "count_cases",
    "get_case",
    "insert_case",
    "lock_cases",
    "open_cases_after",
    "page_cases",
    "record_of",
    "region_filter",
    "report_page",
    "set_head",
    "update_case",
]

cases: Final[sa.Table] = table_of(CaseRow)
_decisions: Final[sa.Table] = table_of(DecisionRow)

_SELECT_CASE: Final = sa.select(cases).where(cases.c.id == sa.bindparam("w_id"))
_SELECT_ID_OF_REF: Final = sa.select(cases.c.id).where(cases.c.ref == sa.bindparam("w_ref"))
_UPDATE_AT_VERSION: Final = sa.update(cases).where(
    cases.c.id == sa.bindparam("w_id"), cases.c.version == sa.bindparam("w_version")
)
_INSERT_CASE: Final = sa.insert(cases).returning(*cases.c)
_SET_HEAD: Final = (
    sa.update(cases).where(cases.c.id == sa.bindparam("w_id")).values(head_hash=sa.bindparam("h"))
)


def record_of(row: sa.Row[Any]) -> CaseRecord:
    return CaseRecord(**row._mapping)


def get_case(conn: sa.Connection, case_id: int) -> CaseRecord | None:
    row = conn.execute(_SELECT_CASE, {"w_id": case_id}).first()
    return None if row is None else CaseRecord(**row._mapping)


def case_id_of_ref(conn: sa.Connection, ref: str) -> int | None:
    found = conn.execute(_SELECT_ID_OF_REF, {"w_ref": ref}).scalar_one_or_none()
    return None if found is None else int(found)


def insert_case(conn: sa.Connection, values: Mapping[str, Any]) -> CaseRecord:
    """Insert a new case and return it as stored (one ``INSERT … RETURNING``: no re-read).

    ``DuplicateCase`` when its ``ref`` is taken: found before the insert (with the existing id),
    or by the unique key when a concurrent intake of the same ref committed first."""
    ref = str(values["ref"])
    existing = case_id_of_ref(conn, ref)
    if existing is not None:
        raise DuplicateCase(ref, existing)
    try:
        row = conn.execute(_INSERT_CASE, dict(values)).one()
    except sa.exc.IntegrityError as exc:  # a concurrent intake of the same ref won
        raise DuplicateCase(ref) from exc
    return CaseRecord(**row._mapping)


def set_head(conn: sa.Connection, case_id: int, head_hash: str) -> None:
    """The hash of the case's last event (intake writes it after the first event)."""
    conn.execute(_SET_HEAD, {"w_id": case_id, "h": head_hash})


def update_case(
    conn: sa.Connection, case_id: int, *, version: int, values: Mapping[str, Any]
) -> None:
    """``UPDATE … WHERE id = :id AND version = :version`` (the optimistic guard).

    Raises ``ConflictError`` when no row matched: another writer moved the case on since it was
    read. On success this transaction holds the case's row lock until it ends, so from here on
    it alone writes the case's clocks, timers and next event."""
    updated = conn.execute(_UPDATE_AT_VERSION, {**values, "w_id": case_id, "w_version": version})
    if updated.rowcount != 1:
        raise ConflictError(case=case_id, expected=version)


def lock_cases(conn: sa.Connection, case_ids: Sequence[int]) -> list[int]:
    """Claim ``case_ids`` for this transaction: the ids locked, in id order.

    On PostgreSQL: ``SELECT id … WHERE id IN (…) ORDER BY id FOR UPDATE SKIP LOCKED``. A case
    another transaction holds (another sweeper, a clerk's change in flight) is skipped, never
    waited for; a case that no longer exists is not returned. Locks are taken in id order, so
    two claimers never deadlock; they are held until the caller's transaction ends.

    On SQLite there are no row locks: the caller's write transaction began with
    ``BEGIN IMMEDIATE`` and holds the whole database, so every existing case is returned.
    """
    if not case_ids:
        return []
    got = conn.execute(
        sa.select(cases.c.id)
        .where(cases.c.id.in_(list(case_ids)))
        .order_by(cases.c.id)
        .with_for_update(skip_locked=True)
    ).scalars()
    return [int(i) for i in got]


def cases_by_ids(conn: sa.Connection, case_ids: Iterable[int]) -> dict[int, CaseRecord]:
    ids = list(case_ids)
    if not ids:
        return {}
    rows = conn.execute(sa.select(cases).where(cases.c.id.in_(ids)))
    return {int(r.id): CaseRecord(**r._mapping) for r in rows}


def region_filter(column: sa.ColumnElement[str], code: str) -> sa.ColumnElement[bool]:
    """``140000`` matches ``14xxxx``; ``140300`` matches ``1403xx``; a county matches itself."""
    if len(code) != 6 or not code.isdigit():
        raise InvalidArgument(
            name="region", value=code, why="must be a 6-digit 行政区划代码 (e.g. 140300)"
        )
    if code.endswith("0000"):
        return column.like(code[:2] + "%")
    if code.endswith("00"):
        return column.like(code[:4] + "%")
    return column == code


def _where(
    *, state: str | None, level: str | None, region: str | None
) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = []
    if state is not None:
        where.append(cases.c.state == state)
    if level is not None:
        where.append(cases.c.level == level)
    if region is not None:
        where.append(region_filter(cases.c.handling_region, region))
    return where


def count_cases(
    conn: sa.Connection, *, state: str | None, level: str | None, region: str | None
) -> int:
    where = _where(state=state, level=level, region=region)
    return int(
        conn.execute(sa.select(sa.func.count()).select_from(cases).where(*where)).scalar_one()
    )


def page_cases(
    conn: sa.Connection,
    *,
    state: str | None,
    level: str | None,
    region: str | None,
    limit: int,
    offset: int,
) -> list[CaseRecord]:
    """Cases by state, level and handling region, in id order."""
    where = _where(state=state, level=level, region=region)
    rows = conn.execute(
        sa.select(cases).where(*where).order_by(cases.c.id).limit(limit).offset(offset)
    )
    return [CaseRecord(**r._mapping) for r in rows]


def report_page(
    conn: sa.Connection,
    *,
    after: int,
    region: str | None,
    received_to: datetime | None,
    batch: int,
) -> list[CaseRecord]:
    """The next ``batch`` cases after id ``after`` (keyset paging) for the reports: by the
    case's own division (where the arrears arose) and receipt time."""
    where = [cases.c.id > after]
    if region is not None:
        where.append(region_filter(cases.c.region, region))
    if received_to is not None:
        where.append(cases.c.received_at <= received_to)
    rows = conn.execute(sa.select(cases).where(*where).order_by(cases.c.id).limit(batch))
    return [CaseRecord(**r._mapping) for r in rows]


def approved_acts(conn: sa.Connection, case_ids: Sequence[int], act: str) -> set[int]:
    """The cases among ``case_ids`` on which a named person approved ``act`` (a ``zq_decisions``
    row of that act with status ``approved``). The reports count a reserved act — 附件2 column
    19, 移送公安机关 — only then, whatever else set the case's column."""
    ids = list(case_ids)
    if not ids:
        return set()
    found = conn.execute(
        sa.select(_decisions.c.case_id)
        .where(
            _decisions.c.case_id.in_(ids),
            _decisions.c.act == act,
            _decisions.c.status == "approved",
        )
        .distinct()
    ).scalars()
    return {int(i) for i in found}


def open_cases_after(
    conn: sa.Connection,
    after: int,
    batch: int,
    *,
    pack_names: Sequence[str] | None = None,
    region: str | None = None,
) -> list[CaseRecord]:
    """The next ``batch`` open cases (not closed: ``closed_at IS NULL``) after id ``after``, in
    id order (keyset paging on the primary key, so a pass over a million cases reads each once
    and holds nothing between batches). ``pack_names`` keeps the cases governed by one of those
    packs (any version); ``region`` the cases of that division (where the arrears arose) and its
    subdivisions."""
    where = [cases.c.id > after, cases.c.closed_at.is_(None)]
    if pack_names is not None:
        where.append(cases.c.pack_name.in_(list(pack_names)))
    if region is not None:
        where.append(region_filter(cases.c.region, region))
    rows = conn.execute(sa.select(cases).where(*where).order_by(cases.c.id).limit(batch))
    return [CaseRecord(**r._mapping) for r in rows]
