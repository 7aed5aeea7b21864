"""The dashboard feed of ``zhiqian stats`` (a versioned JSON shape, docs/performance.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from zhiqian.engine.domain.lights import Light
from zhiqian.engine.performance_views import FEED_VERSION, LEVELS, Figures, Performance
from zhiqian.rules.divisions import lookup

__all__ = ["stats_feed"]


def _office_name(code: str) -> str:
    found = lookup(code)
    return found.name if found is not None else code


def stats_feed(perf: Performance) -> dict[str, Any]:
    """The dashboard feed (``zhiqian stats --format json``), shape version ``FEED_VERSION``:
    documented in docs/performance.md. New keys may appear; none is renamed within a version."""
    by_region: dict[tuple[str, str], dict[str, int]] = {}
    by_level: dict[str, dict[str, int]] = {}
    for t in perf.lights:
        empty = dict.fromkeys([light.value for light in Light], 0)
        by_region.setdefault((t.region, t.level), dict(empty))[t.light] += t.cases
        by_level.setdefault(t.level, dict(empty))[t.light] += t.cases
    return {
        "feed": "zhiqian.stats",
        "version": FEED_VERSION,
        "as_of": perf.as_of.isoformat(),
        "pack": perf.pack,
        "period": {"from": perf.period_from.isoformat(), "to": perf.period_to.isoformat()},
        "lights": {
            "total": perf.light_totals(),
            "by_level": by_level,
            "by_region": [
                {"region": region, "name": _office_name(region), "level": level, **counts}
                for (region, level), counts in sorted(by_region.items())
            ],
        },
        "offices": [_figures_json(f) for level in LEVELS for f in perf.offices_at(level)],
        "top_overdue": [
            {
                "case_id": o.case_id,
                "ref": o.ref,
                "clock": o.clock,
                "label": o.label,
                "deadline": _aware(o.deadline).isoformat(),
                "overdue_hours": o.overdue_hours,
                "region": o.region,
                "level": o.level,
            }
            for o in perf.top_overdue
        ],
        "trend": [
            {
                "month": p.month,
                "received": p.received,
                "ended": p.ended,
                "met": p.met,
                "on_time_rate": p.on_time_rate,
            }
            for p in perf.trend
        ],
    }


def _figures_json(f: Figures) -> dict[str, Any]:
    return {
        "code": f.key,
        "name": f.name,
        "level": f.level,
        "rank": f.rank,
        "listed": f.listed,
        "received": f.received,
        "ended": f.ended,
        "met": f.met,
        "late": f.late,
        "on_time_rate": f.on_time_rate,
        "running": f.running,
        "overdue": f.overdue,
        "workdays_used_avg": f.workdays_used_avg,
        "workdays_used_p90": f.workdays_used_p90,
        "workdays_allowed_avg": f.workdays_allowed_avg,
        "extensions": f.extensions,
        "escalations": dict(f.escalations),
        "decisions_overdue": f.decisions_overdue,
        "found_unpaid": f.found_unpaid,
    }


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive UTC; PostgreSQL aware."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
