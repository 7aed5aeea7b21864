"""The legal working-day calendar: 法定节假日, 调休 make-up working days, local extra days.

Three layers, highest first:

1. **local extra days** supplied by a rule pack (a local 停工 day off, a local working day);
2. **official notices**: the State Council's yearly holiday notices (国务院办公厅关于…部分节假日安排的
   通知) — from the ``chinese_calendar`` package (1.11: 2004–2026) and from **override files**
   (one YAML file per year, see ``rules/data/holidays/README.md``) so an office can add next
   year's notice without a code release. An override file for a year *replaces* the package's
   data for that year;
3. a **fallback** for years with no notice: weekends plus the statutory holidays of
   《全国年节及纪念日放假办法》 in the version in force that year (from 2025: 元旦 1 day, 春节 4 days
   = 除夕 + 正月初一至初三, 清明 1, 劳动节 5-01/5-02, 端午 1, 中秋 1, 国庆 10-01…03), lunar dates
   from ``lunardate``, 清明 from the solar-term formula, and the statutory 补假 (a holiday that
   falls on a Saturday or Sunday is made up on the next weekday, 放假办法 第六条). No 调休 is
   known, so every such day carries ``assumed=True`` and deadlines built on it say so.

A notice for year Y may reach into the last days of December of Y-1 (the 2019 notice made
2018-12-29 a working day and 2018-12-30/31 days off for 元旦); such days belong to Y's notice.

Weekly rest days are Saturday and Sunday (《国务院关于职工工作时间的规定》 第七条). Day lookups are
cached per calendar instance; ``is_workday`` on a cached date is a dict lookup.

The environment variable ``ZHIQIAN_CALENDAR_DIR`` is read only by :func:`calendar_dir_from_env`,
which the CLI calls; domain code takes paths as arguments.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError

from zhiqian.errors import InvalidArgument, RuleError, RuleProblem

__all__ = [
    "CALENDAR_DIR_ENV",
    "SHIPPED_HOLIDAY_DIR",
    "DayInfo",
    "HolidayNotice",
    "LegalCalendar",
    "calendar_dir_from_env",
    "holiday_files_in",
    "load_holiday_file",
    "weekday_zh",
]

CALENDAR_DIR_ENV = "ZHIQIAN_CALENDAR_DIR"
SHIPPED_HOLIDAY_DIR = Path(__file__).resolve().parent / "data" / "holidays"

SPRING_FESTIVAL = "春节"
NEW_YEAR = "元旦"

# chinese_calendar names its holidays in English; the notices use these Chinese names.
_PACKAGE_NAMES_ZH: dict[str, str] = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}

_WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")

# A notice's longest block so far is 10 days (春节 2020, extended for the epidemic). Longer ranges
# in an override file are almost always a typo in a date.
_MAX_BLOCK_DAYS = 15
_SEARCH_LIMIT_DAYS = 1000


def weekday_zh(d: date) -> str:
    """``周一`` … ``周日``."""
    return _WEEKDAYS_ZH[d.weekday()]


# --------------------------------------------------------------------------------------------
# Days


@dataclass(frozen=True, slots=True)
class DayInfo:
    """What the calendar knows about one local date.

    ``holiday`` names the festival (or local reason) when the day is off because of it; ordinary
    weekends have ``holiday=None``. ``makeup`` marks a Saturday/Sunday that is a working day
    (调休上班); ``makeup_for`` names the festival it belongs to. ``assumed`` is True when no notice
    covers the year and the statutory fallback decided. ``local`` marks a pack's extra day.
    """

    date: date
    workday: bool
    holiday: str | None
    makeup: bool
    assumed: bool
    source: str
    makeup_for: str | None = None
    local: bool = False

    @property
    def weekend(self) -> bool:
        return self.date.weekday() >= 5

    @property
    def weekday_zh(self) -> str:
        return weekday_zh(self.date)


@dataclass(frozen=True, slots=True)
class _Entry:
    workday: bool
    name: str
    source: str


# --------------------------------------------------------------------------------------------
# Override files


@dataclass(frozen=True, slots=True)
class HolidayNotice:
    """One year's State Council notice, read from an override file (or built in code)."""

    year: int
    source: str
    holidays: Mapping[date, str]
    workdays: Mapping[date, str]
    file: str | None = None


class _Constructor(RoundTripConstructor):
    """Leaves timestamps as text so a bad date (2027-02-30) is reported with its line."""


def _timestamp_as_text(constructor: RoundTripConstructor, node: Any) -> Any:
    return constructor.construct_scalar(node)


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.Constructor = _Constructor
    return y


_TOP_KEYS = {"year", "source", "holidays", "workdays"}
_HOLIDAY_KEYS = {"name", "from", "to", "date"}
_WORKDAY_KEYS = {"name", "date"}


class _FileReader:
    """Collects every problem of one override file; ``notice`` is None when there are any."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = str(path)
        self.problems: list[RuleProblem] = []

    def problem(self, line: int | None, message: str) -> None:
        self.problems.append(RuleProblem(self.name, line, message))

    @staticmethod
    def _key_line(m: CommentedMap, key: str) -> int | None:
        try:
            return int(m.lc.key(key)[0]) + 1
        except (KeyError, TypeError, AttributeError):
            return None

    @staticmethod
    def _item_line(s: CommentedSeq, i: int) -> int | None:
        try:
            return int(s.lc.item(i)[0]) + 1
        except (KeyError, TypeError, AttributeError, IndexError):
            return None

    def _date(self, value: object, line: int | None, what: str) -> date | None:
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str):
            text = value.strip()
            if len(text) == 10:
                try:
                    return date.fromisoformat(text)
                except ValueError as e:
                    self.problem(line, f"{what}: {text!r} is not a date ({e}); write YYYY-MM-DD")
                    return None
        self.problem(line, f"{what}: {value!r} is not a date; write YYYY-MM-DD")
        return None

    def _name(self, entry: CommentedMap, line: int | None, what: str) -> str | None:
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            self.problem(line, f"{what}: 'name' (the festival, e.g. 春节) is missing or empty")
            return None
        return name.strip()

    def _in_year(self, d: date, year: int, name: str, line: int | None, what: str) -> bool:
        if d.year == year:
            return True
        # A notice for Y may set the 元旦 break of Y and its 调休 in the last days of December Y-1.
        if d.year == year - 1 and d.month == 12 and NEW_YEAR in name:
            return True
        self.problem(
            line,
            f"{what}: {d.isoformat()} is outside year {year} (only a 元旦 entry may reach into "
            f"December {year - 1})",
        )
        return False

    def read(self) -> HolidayNotice | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError as e:
            self.problem(None, f"cannot read calendar file: {e.strerror or e}")
            return None
        except UnicodeDecodeError as e:
            self.problem(None, f"not UTF-8 text: {e}")
            return None
        try:
            doc = _yaml().load(text)
        except MarkedYAMLError as e:
            mark = e.problem_mark or e.context_mark
            line = mark.line + 1 if mark is not None else None
            self.problem(line, f"YAML syntax: {e.problem or e.context}")
            return None
        if doc is None:
            self.problem(None, "empty calendar file: expected year, source, holidays, workdays")
            return None
        if not isinstance(doc, CommentedMap):
            self.problem(1, "a calendar file is a mapping with year, source, holidays, workdays")
            return None

        for key in doc:
            if key not in _TOP_KEYS:
                self.problem(
                    self._key_line(doc, str(key)),
                    f"unknown key {key!r}: expected one of {', '.join(sorted(_TOP_KEYS))}",
                )
        year = doc.get("year")
        year_line = self._key_line(doc, "year")
        if "year" not in doc:
            self.problem(1, "'year' is missing")
            year = None
        elif isinstance(year, bool) or not isinstance(year, int) or not 1949 <= year <= 2200:
            self.problem(year_line, f"year: {year!r} is not a year (1949–2200)")
            year = None
        source = doc.get("source")
        if not isinstance(source, str) or not source.strip():
            self.problem(
                self._key_line(doc, "source") or 1,
                "'source' is missing or empty: name the notice (e.g. 国办发明电〔2026〕X号)",
            )
            source = ""

        holidays: dict[date, str] = {}
        holiday_lines: dict[date, int | None] = {}
        workdays: dict[date, str] = {}
        workday_lines: dict[date, int | None] = {}

        raw_h = doc.get("holidays", [])
        if raw_h is None:
            raw_h = []
        if not isinstance(raw_h, CommentedSeq) and raw_h != []:
            self.problem(self._key_line(doc, "holidays"), "holidays: expected a list of entries")
            raw_h = []
        for i, entry in enumerate(raw_h):
            line = self._item_line(raw_h, i)
            what = f"holidays[{i}]"
            if not isinstance(entry, CommentedMap):
                self.problem(line, f"{what}: expected {{name, from, to}} or {{name, date}}")
                continue
            for key in entry:
                if key not in _HOLIDAY_KEYS:
                    self.problem(line, f"{what}: unknown key {key!r}: expected name, from, to")
            name = self._name(entry, line, what)
            if "date" in entry:
                if "from" in entry or "to" in entry:
                    self.problem(line, f"{what}: give either 'date' or 'from'/'to', not both")
                    continue
                first = last = self._date(entry["date"], line, f"{what}.date")
            elif "from" in entry and "to" in entry:
                first = self._date(entry["from"], line, f"{what}.from")
                last = self._date(entry["to"], line, f"{what}.to")
            else:
                self.problem(line, f"{what}: needs 'from' and 'to' (or a single 'date')")
                continue
            if first is None or last is None or name is None:
                continue
            if last < first:
                self.problem(line, f"{what}: 'to' {last} is before 'from' {first}")
                continue
            days = (last - first).days + 1
            if days > _MAX_BLOCK_DAYS:
                self.problem(
                    line,
                    f"{what}: {days} days off ({first}…{last}) is longer than any notice "
                    f"({_MAX_BLOCK_DAYS} max); check the dates",
                )
                continue
            for k in range(days):
                d = first + timedelta(days=k)
                if year is not None and not self._in_year(d, year, name, line, what):
                    break
                if d in holidays:
                    self.problem(
                        line,
                        f"{what}: {d} is listed twice as a holiday (also line {holiday_lines[d]})",
                    )
                    continue
                holidays[d] = name
                holiday_lines[d] = line

        raw_w = doc.get("workdays", [])
        if raw_w is None:
            raw_w = []
        if not isinstance(raw_w, CommentedSeq) and raw_w != []:
            self.problem(self._key_line(doc, "workdays"), "workdays: expected a list of entries")
            raw_w = []
        for i, entry in enumerate(raw_w):
            line = self._item_line(raw_w, i)
            what = f"workdays[{i}]"
            if not isinstance(entry, CommentedMap):
                self.problem(line, f"{what}: expected {{name, date}}")
                continue
            for key in entry:
                if key not in _WORKDAY_KEYS:
                    self.problem(line, f"{what}: unknown key {key!r}: expected name, date")
            name = self._name(entry, line, what)
            if "date" not in entry:
                self.problem(line, f"{what}: 'date' is missing")
                continue
            wd = self._date(entry["date"], line, f"{what}.date")
            if wd is None or name is None:
                continue
            d = wd
            if year is not None and not self._in_year(d, year, name, line, what):
                continue
            if d.weekday() < 5:
                self.problem(
                    line,
                    f"{what}: {d} is a {weekday_zh(d)}: only a Saturday or Sunday can be a 调休 "
                    "working day",
                )
                continue
            if d in workdays:
                self.problem(
                    line, f"{what}: {d} is listed twice as a workday (also line {workday_lines[d]})"
                )
                continue
            if d in holidays:
                self.problem(
                    line,
                    f"{what}: {d} is both a holiday (line {holiday_lines[d]}) and a working day",
                )
                continue
            workdays[d] = name
            workday_lines[d] = line

        if self.problems or year is None:
            return None
        return HolidayNotice(
            year=year,
            source=source.strip(),
            holidays=holidays,
            workdays=workdays,
            file=self.name,
        )


def load_holiday_file(path: Path | str) -> HolidayNotice:
    """Read one override file; raise :class:`RuleError` with every problem, each ``file:line``."""
    reader = _FileReader(Path(path))
    notice = reader.read()
    if notice is None:
        raise RuleError(reader.problems)
    return notice


def holiday_files_in(directory: Path | str) -> list[Path]:
    """The ``*.yaml``/``*.yml`` files of a calendar folder, sorted; RuleError if it is missing."""
    d = Path(directory)
    if not d.is_dir():
        raise RuleError([RuleProblem(str(d), None, "calendar folder does not exist")])
    return sorted(p for p in d.iterdir() if p.is_file() and p.suffix in {".yaml", ".yml"})


def calendar_dir_from_env(environ: Mapping[str, str] | None = None) -> Path | None:
    """The folder named by ``ZHIQIAN_CALENDAR_DIR`` (for the CLI), or None when unset/empty."""
    env = os.environ if environ is None else environ
    value = env.get(CALENDAR_DIR_ENV, "").strip()
    return Path(value) if value else None


# --------------------------------------------------------------------------------------------
# Package data (chinese_calendar)


@dataclass(frozen=True, slots=True)
class _PackageData:
    version: str
    years: frozenset[int]
    # notice year → {date: entry}; December 元旦 days are filed under the next year's notice.
    by_notice: Mapping[int, Mapping[date, _Entry]]


def _package_data() -> _PackageData:
    from chinese_calendar import constants

    try:
        version = metadata.version("chinesecalendar")
    except metadata.PackageNotFoundError:  # pragma: no cover - installed with the package
        version = "?"
    by_notice: dict[int, dict[date, _Entry]] = {}

    def notice_year(d: date, name: str) -> int:
        return d.year + 1 if d.month == 12 and name == NEW_YEAR else d.year

    for table, workday in ((constants.holidays, False), (constants.workdays, True)):
        for d, english in table.items():
            name = _PACKAGE_NAMES_ZH.get(english, english)
            y = notice_year(d, name)
            src = f"国务院办公厅{y}年节假日安排 (chinese_calendar {version})"
            by_notice.setdefault(y, {})[d] = _Entry(workday, name, src)
    first = min(constants.holidays).year
    last = max(constants.holidays).year
    return _PackageData(
        version=version, years=frozenset(range(first, last + 1)), by_notice=by_notice
    )


_PACKAGE: _PackageData | None = None


def _package() -> _PackageData:
    global _PACKAGE
    if _PACKAGE is None:
        _PACKAGE = _package_data()
    return _PACKAGE


# --------------------------------------------------------------------------------------------
# Lunar dates, solar terms and the statutory fallback


def _lunar_to_solar(year: int, month: int, day: int) -> date | None:
    """Gregorian date of a lunar date in a non-leap month; None outside lunardate's 1900–2099."""
    from lunardate import LunarDate

    if not 1900 <= year <= 2099:
        return None
    ld = LunarDate(year, month, day)
    # lunardate 0.3 renamed toSolarDate (deprecated) to to_solar_date; 0.2 has only the old name.
    to_solar = getattr(ld, "to_solar_date", None) or ld.toSolarDate
    result = to_solar()
    assert isinstance(result, date)
    return result


def _qingming(year: int) -> date:
    """清明 (the solar term), by the 寿星 formula with the usual corrections."""
    if 1900 <= year <= 2100:
        from chinese_calendar import get_solar_terms

        for d, term in get_solar_terms(date(year, 4, 1), date(year, 4, 30)):
            if term == "清明":
                assert isinstance(d, date)
                return d
    # Outside the formula's tabulated centuries: 21st-century constant, good to a day.
    y = year % 100
    return date(year, 4, int(y * 0.2422 + 4.81) - y // 4)


def _statutory_days(year: int) -> tuple[str, list[tuple[str, list[date]]]]:
    """The 放假办法 version in force in ``year`` and its holidays (festival → days)."""
    sf = _lunar_to_solar(year, 1, 1)
    dragon = _lunar_to_solar(year, 5, 5)
    autumn = _lunar_to_solar(year, 8, 15)
    one = timedelta(days=1)
    out: list[tuple[str, list[date]]] = [("元旦", [date(year, 1, 1)])]
    if year >= 2025:
        version = "《全国年节及纪念日放假办法》(2024年修订)"
        if sf is not None:
            out.append(("春节", [sf - one, sf, sf + one, sf + 2 * one]))
        labour = [date(year, 5, 1), date(year, 5, 2)]
    elif year >= 2014:
        version = "《全国年节及纪念日放假办法》(2013年修订)"
        if sf is not None:
            out.append(("春节", [sf, sf + one, sf + 2 * one]))
        labour = [date(year, 5, 1)]
    elif year >= 2008:
        version = "《全国年节及纪念日放假办法》(2007年修订)"
        if sf is not None:
            out.append(("春节", [sf - one, sf, sf + one]))
        labour = [date(year, 5, 1)]
    else:
        version = "《全国年节及纪念日放假办法》(1999年修订)"
        if sf is not None:
            out.append(("春节", [sf, sf + one, sf + 2 * one]))
        labour = [date(year, 5, 1), date(year, 5, 2), date(year, 5, 3)]
    if year >= 2008:
        out.append(("清明节", [_qingming(year)]))
    out.append(("劳动节", labour))
    if year >= 2008:
        if dragon is not None:
            out.append(("端午节", [dragon]))
        if autumn is not None:
            out.append(("中秋节", [autumn]))
    out.append(("国庆节", [date(year, 10, 1), date(year, 10, 2), date(year, 10, 3)]))
    if sf is None:
        version += "，农历节日无法推算（lunardate 仅支持1900–2099年）"
    return version, out


def _fallback_year(year: int) -> dict[date, _Entry]:
    """Statutory holidays of ``year`` plus 补假 for those on a weekend; no 调休."""
    version, festivals = _statutory_days(year)
    src = f"推定：{year}年无国务院调休通知，按{version}法定节假日"
    table: dict[date, _Entry] = {}
    for name, days in festivals:
        for d in days:
            if d.year == year and d not in table:
                table[d] = _Entry(False, name, src)
    # 补假: 放假办法 第六条 — a holiday on a Saturday/Sunday is made up on a working day. The
    # notices make it up on the first weekday after the festival's block; do the same.
    for name, days in festivals:
        owed = sum(1 for d in days if d.weekday() >= 5)
        d = max(days)
        while owed:
            d += timedelta(days=1)
            if d.weekday() < 5 and d not in table and d.year == year:
                table[d] = _Entry(False, name, src + "（含第六条补假）")
                owed -= 1
            elif d.year != year:
                break
    return table


# --------------------------------------------------------------------------------------------
# The calendar


def _check_extras(
    extra_holidays: Mapping[date, str], extra_workdays: Mapping[date, str], source: str
) -> None:
    problems: list[RuleProblem] = []
    for what, table in (("extra holiday", extra_holidays), ("extra workday", extra_workdays)):
        for d, name in table.items():
            if not isinstance(d, date) or isinstance(d, datetime):
                problems.append(RuleProblem(source, None, f"{what} {d!r}: not a date"))
            elif not isinstance(name, str) or not name.strip():
                problems.append(RuleProblem(source, None, f"{what} {d}: give a reason/name"))
    for d in sorted(set(extra_holidays) & set(extra_workdays)):
        problems.append(
            RuleProblem(source, None, f"{d} is both an extra holiday and an extra working day")
        )
    if problems:
        raise RuleError(problems)


@dataclass(frozen=True, slots=True)
class _Official:
    """The merged official tables, shared by calendars that differ only in local extra days."""

    entries: Mapping[date, _Entry]
    years: Mapping[int, str]  # official year → source of its notice
    notices: tuple[HolidayNotice, ...]
    package_version: str
    fingerprint: str


def _build_official(notices: Sequence[HolidayNotice]) -> _Official:
    pkg = _package()
    overridden = {n.year for n in notices}
    entries: dict[date, _Entry] = {}
    years: dict[int, str] = {}
    for y, table in pkg.by_notice.items():
        if y in overridden:
            continue
        entries.update(table)
    for y in pkg.years:
        if y not in overridden:
            years[y] = f"国务院办公厅{y}年节假日安排 (chinese_calendar {pkg.version})"
    problems: list[RuleProblem] = []
    for n in notices:
        src = f"{n.source} ({Path(n.file).name})" if n.file else n.source
        years[n.year] = src
        days: tuple[tuple[Mapping[date, str], bool], ...] = (
            (n.holidays, False),
            (n.workdays, True),
        )
        for named, workday in days:
            for d, name in named.items():
                old = entries.get(d)
                # Only the December 元旦 days of the next notice can meet another notice's day.
                if old is not None and old.workday != workday and old.source != src:
                    problems.append(
                        RuleProblem(
                            n.file or n.source,
                            None,
                            f"{d}: {'working day' if workday else 'holiday'} here, but "
                            f"{'working day' if old.workday else 'holiday'} in {old.source}",
                        )
                    )
                entries[d] = _Entry(workday, name, src)
    if problems:
        raise RuleError(problems)
    h = hashlib.sha256(f"chinese_calendar {pkg.version}\n".encode())
    for n in sorted(notices, key=lambda n: n.year):
        h.update(f"{n.year}|{n.source}\n".encode())
        for d in sorted(n.holidays):
            h.update(f"H{d}{n.holidays[d]}\n".encode())
        for d in sorted(n.workdays):
            h.update(f"W{d}{n.workdays[d]}\n".encode())
    return _Official(
        entries=entries,
        years=years,
        notices=tuple(sorted(notices, key=lambda n: n.year)),
        package_version=pkg.version,
        fingerprint=h.hexdigest()[:16],
    )


class LegalCalendar:
    """Working days of mainland China for labour-inspection clocks.

    ``override_files``: one YAML file per year (a State Council notice); a year in an override
    file replaces the package's data for that year. Every problem in every file is raised at
    once as :class:`RuleError`. ``extra_holidays``/``extra_workdays``: a pack's local days
    (date → reason), applied above everything else.
    """

    def __init__(
        self,
        *,
        override_files: Sequence[Path | str] = (),
        extra_holidays: Mapping[date, str] | None = None,
        extra_workdays: Mapping[date, str] | None = None,
        extras_source: str = "pack",
        notices: Sequence[HolidayNotice] = (),
    ) -> None:
        problems: list[RuleProblem] = []
        loaded: list[HolidayNotice] = list(notices)
        for path in override_files:
            reader = _FileReader(Path(path))
            notice = reader.read()
            problems.extend(reader.problems)
            if notice is not None:
                loaded.append(notice)
        seen: dict[int, str] = {}
        for n in loaded:
            where = n.file or n.source
            if n.year in seen:
                problems.append(
                    RuleProblem(
                        where, None, f"a second calendar for {n.year} (the first is {seen[n.year]})"
                    )
                )
            else:
                seen[n.year] = where
        if problems:
            raise RuleError(problems)
        extras_h = dict(extra_holidays or {})
        extras_w = dict(extra_workdays or {})
        _check_extras(extras_h, extras_w, extras_source)
        self._init(_build_official(loaded), extras_h, extras_w, extras_source)

    def _init(
        self,
        official: _Official,
        extra_holidays: dict[date, str],
        extra_workdays: dict[date, str],
        extras_source: str,
    ) -> None:
        self._official = official
        self._extra_holidays = extra_holidays
        self._extra_workdays = extra_workdays
        self._extras_source = extras_source
        self._days: dict[date, DayInfo] = {}
        self._work: dict[date, bool] = {}
        self._fallback: dict[int, dict[date, _Entry]] = {}

    @classmethod
    def default(
        cls,
        *directories: Path | str,
        extra_holidays: Mapping[date, str] | None = None,
        extra_workdays: Mapping[date, str] | None = None,
        extras_source: str = "pack",
    ) -> LegalCalendar:
        """The package's data, the shipped ``rules/data/holidays/`` files and those in
        ``directories`` (e.g. ``calendar_dir_from_env()`` for the CLI)."""
        files: list[Path] = []
        if SHIPPED_HOLIDAY_DIR.is_dir():
            files.extend(holiday_files_in(SHIPPED_HOLIDAY_DIR))
        for d in directories:
            files.extend(holiday_files_in(d))
        return cls(
            override_files=files,
            extra_holidays=extra_holidays,
            extra_workdays=extra_workdays,
            extras_source=extras_source,
        )

    def with_extras(
        self,
        *,
        extra_holidays: Mapping[date, str] | None = None,
        extra_workdays: Mapping[date, str] | None = None,
        extras_source: str = "pack",
    ) -> LegalCalendar:
        """This calendar's official data with other local days (a pack's), without re-reading."""
        extras_h = dict(extra_holidays or {})
        extras_w = dict(extra_workdays or {})
        _check_extras(extras_h, extras_w, extras_source)
        new = object.__new__(LegalCalendar)
        new._init(self._official, extras_h, extras_w, extras_source)
        return new

    # -- facts about the data ---------------------------------------------------------------

    @property
    def notices(self) -> tuple[HolidayNotice, ...]:
        """The override notices loaded (package years are not listed here)."""
        return self._official.notices

    @property
    def fingerprint(self) -> str:
        """Changes when the official data changes (package version or an override file)."""
        return self._official.fingerprint

    @cached_property
    def _local_fingerprint(self) -> str:
        h = hashlib.sha256(self._official.fingerprint.encode())
        for d in sorted(self._extra_holidays):
            h.update(f"H{d}{self._extra_holidays[d]}".encode())
        for d in sorted(self._extra_workdays):
            h.update(f"W{d}{self._extra_workdays[d]}".encode())
        return h.hexdigest()[:16]

    @property
    def version(self) -> str:
        """Fingerprint of everything that decides a day: official data and local extra days."""
        return self._local_fingerprint

    def official_years(self) -> frozenset[int]:
        return frozenset(self._official.years)

    def is_official(self, year: int) -> bool:
        return year in self._official.years

    def coverage(self) -> tuple[tuple[int, int], ...]:
        """Years with official data as runs of consecutive years, e.g. ``((2004, 2026),)``."""
        runs: list[tuple[int, int]] = []
        for y in sorted(self._official.years):
            if runs and runs[-1][1] == y - 1:
                runs[-1] = (runs[-1][0], y)
            else:
                runs.append((y, y))
        return tuple(runs)

    def coverage_text(self) -> str:
        return ", ".join(f"{a}–{b}" if a != b else str(a) for a, b in self.coverage())

    # -- days -------------------------------------------------------------------------------

    def is_workday(self, d: date) -> bool:
        try:
            return self._work[d]
        except KeyError:
            return self.day(d).workday

    def day(self, d: date) -> DayInfo:
        try:
            return self._days[d]
        except KeyError:
            pass
        if isinstance(d, datetime) or not isinstance(d, date):
            raise TypeError(
                f"pass a local date, not {type(d).__name__} (convert with .astimezone(tz).date())"
            )
        info = self._compute(d)
        self._days[d] = info
        self._work[d] = info.workday
        return info

    def _compute(self, d: date) -> DayInfo:
        weekend = d.weekday() >= 5
        local = self._extra_holidays.get(d)
        if local is not None:
            return DayInfo(d, False, local, False, False, self._extras_source, local=True)
        local = self._extra_workdays.get(d)
        if local is not None:
            return DayInfo(
                d, True, None, weekend, False, self._extras_source, makeup_for=local, local=True
            )
        entry = self._official.entries.get(d)
        if entry is not None:
            if entry.workday:
                return DayInfo(d, True, None, weekend, False, entry.source, makeup_for=entry.name)
            return DayInfo(d, False, entry.name, False, False, entry.source)
        source = self._official.years.get(d.year)
        if source is not None:
            return DayInfo(d, not weekend, None, False, False, source)
        table = self._fallback.get(d.year)
        if table is None:
            table = self._fallback[d.year] = _fallback_year(d.year)
        entry = table.get(d)
        if entry is not None:
            return DayInfo(d, False, entry.name, False, True, entry.source)
        src = f"推定：{d.year}年无国务院调休通知（调休未知），按法定节假日与周末"
        return DayInfo(d, not weekend, None, False, True, src)

    def days(self, first: date, last: date) -> list[DayInfo]:
        """Every day from ``first`` to ``last`` inclusive."""
        return [self.day(first + timedelta(days=k)) for k in range((last - first).days + 1)]

    def next_workday_after(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        for k in range(1, _SEARCH_LIMIT_DAYS):
            x = d + timedelta(days=k)
            if self.is_workday(x):
                return x
        raise RuntimeError(f"no working day within {_SEARCH_LIMIT_DAYS} days after {d}")

    def last_workday_before(self, d: date) -> date:
        """The last working day strictly before ``d``."""
        for k in range(1, _SEARCH_LIMIT_DAYS):
            x = d - timedelta(days=k)
            if self.is_workday(x):
                return x
        raise RuntimeError(f"no working day within {_SEARCH_LIMIT_DAYS} days before {d}")

    # -- Spring Festival anchors ------------------------------------------------------------

    @staticmethod
    def spring_festival(year: int) -> date:
        """正月初一 of the lunar year that begins in Gregorian ``year`` (lunardate, 1900–2099)."""
        d = _lunar_to_solar(year, 1, 1)
        if d is None:
            raise InvalidArgument(
                name="year", value=year, why="no lunar calendar: lunardate covers 1900–2099"
            )
        return d

    @classmethod
    def chuxi(cls, year: int) -> date:
        """除夕: the day before 正月初一."""
        return cls.spring_festival(year) - timedelta(days=1)

    def spring_festival_break_start(self, year: int) -> tuple[date, bool]:
        """First day off of the published 春节 block of ``year`` and whether it is assumed.

        From the notice when there is one (2026: 02-15, the day BEFORE 除夕; 2024: 02-10, the day
        after 除夕); otherwise 除夕 with ``assumed=True``.
        """
        sf = self.spring_festival(year)
        if self.is_official(year):
            first: date | None = None
            for k in range(-20, 21):
                x = sf + timedelta(days=k)
                e = self._official.entries.get(x)
                if e is not None and not e.workday and SPRING_FESTIVAL in e.name:
                    first = x
                    break
            if first is not None:
                return first, False
        return sf - timedelta(days=1), True
