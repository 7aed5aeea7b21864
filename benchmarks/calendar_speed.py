"""How fast is a working-day lookup, and a deadline?

Run: ``.venv/bin/python benchmarks/calendar_speed.py [--quick]``

Measures, best of several repeats, over every date of 2019–2026 (2,922 dates):

- ``chinese_calendar.is_workday`` called directly (it validates the date's year on every call);
- ``LegalCalendar.is_workday`` cold (first lookup of each date, fills the cache) and warm (cached);
- ``compute_deadline`` for 5 and 60 working days and 15 natural days from random 2019–2026 starts.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

from zhiqian.rules.calendar import LegalCalendar
from zhiqian.rules.deadlines import compute_deadline
from zhiqian.rules.limits import parse_limit

SH = ZoneInfo("Asia/Shanghai")


def best(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    repeats = 3 if args.quick else 7
    days = [
        date(2019, 1, 1) + timedelta(days=k)
        for k in range((date(2027, 1, 1) - date(2019, 1, 1)).days)
    ]
    n = len(days)

    raw = best(lambda: [chinese_calendar.is_workday(d) for d in days], repeats)

    def cold() -> None:
        cal = LegalCalendar()
        for d in days:
            cal.is_workday(d)

    cold_t = best(cold, repeats)
    warm_cal = LegalCalendar()
    for d in days:
        warm_cal.is_workday(d)
    warm = best(lambda: [warm_cal.is_workday(d) for d in days], repeats)
    loop = best(lambda: [d for d in days], repeats)  # the list-comprehension overhead itself

    print(f"is_workday over {n} dates (best of {repeats}):")
    print(f"  chinese_calendar.is_workday     {n / raw:>12,.0f} calls/s  ({raw / n * 1e6:.2f} µs)")
    print(
        f"  LegalCalendar, cold (fills cache){n / cold_t:>11,.0f} calls/s  ({cold_t / n * 1e6:.2f} µs)"
    )
    print(
        f"  LegalCalendar, cached           {n / warm:>12,.0f} calls/s  ({warm / n * 1e6:.3f} µs)"
    )
    print(f"  (bare loop overhead             {n / loop:>12,.0f} iter/s)")
    print(f"  cached speed-up over chinese_calendar: {raw / warm:.0f}×")

    rng = random.Random(7)
    starts = [
        datetime(2019, 1, 1, 9, tzinfo=SH) + timedelta(minutes=rng.randrange(0, 7 * 365 * 1440))
        for _ in range(300 if args.quick else 2000)
    ]
    print(f"compute_deadline, {len(starts)} random 2019–2025 starts, warm calendar:")
    for text in ("5 workdays", "60 workdays", "15 days"):
        limit = parse_limit(text)
        t = best(lambda: [compute_deadline(limit, s, calendar=warm_cal) for s in starts], repeats)  # noqa: B023
        print(
            f"  {text:<12} {len(starts) / t:>10,.0f} deadlines/s  ({t / len(starts) * 1e6:.0f} µs each)"
        )


if __name__ == "__main__":
    main()
