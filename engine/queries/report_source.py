"""The stored cases as the official reports count them (附件2, 案件台账), streamed in batches."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from decimal import Decimal
from typing import cast

import sqlalchemy as sa

from zhiqian.engine.domain.governing import Packs
from zhiqian.engine.domain.outcomes import compensation_totals
from zhiqian.engine.reports import EmployerCategory, ProjectKind, ReportCase
from zhiqian.rules.divisions import name_path
from zhiqian.store import cases as case_store
from zhiqian.store import clocks as clock_store
from zhiqian.store.records import CaseRecord

__all__ = ["report_cases"]


def report_cases(
    read: Callable[[], AbstractContextManager[sa.Connection]],
    packs: Packs,
    *,
    now: datetime,
    region: str | None,
    received_to: datetime | None,
    batch: int,
) -> Iterator[ReportCase]:
    """Keyset-paged by id, one short read (``read()``) per batch, so a long report holds no
    transaction open while the caller writes its file."""
    last = 0
    while True:
        with read() as conn:
            rows = case_store.report_page(
                conn, after=last, region=region, received_to=received_to, batch=batch
            )
            if not rows:
                return
            last = rows[-1].id
            ids = [r.id for r in rows]
            overdue = clock_store.overdue_clock_ids(conn, ids, now)
            referred = case_store.approved_acts(conn, ids, "refer_police")
        for r in rows:
            yield _report_case(r, packs, overdue.get(r.id, ()), referral_approved=r.id in referred)


def _report_case(
    r: CaseRecord,
    packs: Packs,
    overdue: tuple[str, ...] | list[str],
    *,
    referral_approved: bool,
) -> ReportCase:
    governing = packs.get(r.pack_name, r.pack_version)
    labels = [governing.clock_label(c) if governing else c for c in overdue]
    # 移送公安机关 counts a referral a named person approved (国务院令第310号 第五条) and that
    # was sent (the act sets police_referred_at); a screening rule's proposal is neither.
    referred = r.police_referred_at is not None and referral_approved
    compensation, migrant_compensation = compensation_totals(r.extra)
    recovered = Decimal(r.recovered_amount) + compensation
    return ReportCase(
        id=r.id,
        ref=r.ref,
        received_at=r.received_at,
        region=r.region,
        region_name=name_path(r.region),
        level=r.level,
        state=r.state,
        state_label=governing.lifecycle.label(r.state) if governing else r.state,
        employer_name=r.employer_name,
        employer_uscc=r.employer_uscc,
        # stored from validated intake: one of the categories and kinds the reports know
        employer_category=cast("EmployerCategory", r.employer_category),
        project_kind=cast("ProjectKind", r.project_kind) if r.project_name else None,
        project_name=r.project_name,
        workers=r.workers,
        migrant_workers=r.migrant_workers,
        amount=r.amount,
        migrant_amount=r.migrant_amount,
        migrant_contracts=r.contracted_migrant_workers,
        arrears_verified=r.arrears_verified,
        filed=r.filed_at is not None,
        resolved_without_filing=r.resolved_without_filing and r.filed_at is None,
        recovered_workers=min(r.recovered_workers, r.workers),
        recovered_migrant_workers=min(r.recovered_migrant_workers, r.migrant_workers),
        # 追发工资及赔偿金: the wages (the column) and the 赔偿金 of the recorded payments
        recovered_amount=recovered,
        recovered_migrant_amount=min(
            Decimal(r.recovered_migrant_amount) + migrant_compensation, recovered
        ),
        orders_to_correct=r.orders_to_correct,
        handling_decisions=r.handling_decisions,
        penalty_decisions=r.penalty_decisions,
        police_referred=referred,
        police_filed=referred and r.police_filed_at is not None,
        publicised=r.publicised,
        blacklisted=r.blacklisted,
        leader=r.leader,
        closed_at=r.closed_at,
        overdue_clocks=tuple(labels),
    )
