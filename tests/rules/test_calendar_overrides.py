"""Override files: a new year's notice without a code release; every problem with file:line."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from textwrap import dedent

import pytest

from zhiqian.errors import RuleError
from zhiqian.rules.calendar import LegalCalendar, load_holiday_file

GOOD_2027 = """\
year: 2027
source: 国务院办公厅关于2027年部分节假日安排的通知（测试用）
holidays:            # days off, by festival
  - {name: 元旦, from: 2027-01-01, to: 2027-01-03}
  - {name: 春节, from: 2027-02-05, to: 2027-02-12}
  - name: 清明节
    date: "2027-04-05"
workdays:            # 调休
  - {name: 春节, date: 2027-02-14}
  - {name: 春节, date: 2027-02-20}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(dedent(text), encoding="utf-8")
    return p


def problems(e: pytest.ExceptionInfo[RuleError]) -> list[tuple[str, int | None, str]]:
    return [(Path(p.file).name, p.line, p.message) for p in e.value.problems]


def test_a_good_file_makes_the_year_official(tmp_path: Path) -> None:
    path = write(tmp_path, "2027.yaml", GOOD_2027)
    notice = load_holiday_file(path)
    assert notice.year == 2027
    assert len(notice.holidays) == 3 + 8 + 1
    cal = LegalCalendar(override_files=[path])
    assert cal.coverage() == ((2004, 2027),)
    assert cal.is_official(2027)
    feb = cal.day(date(2027, 2, 11))
    assert not feb.workday
    assert feb.holiday == "春节"
    assert not feb.assumed
    assert "2027.yaml" in feb.source
    assert "测试用" in feb.source
    sun = cal.day(date(2027, 2, 14))
    assert sun.workday
    assert sun.makeup
    assert sun.makeup_for == "春节"
    assert not sun.assumed
    plain = cal.day(date(2027, 3, 3))
    assert plain.workday
    assert not plain.assumed
    assert not cal.day(date(2027, 3, 6)).workday  # an ordinary Saturday
    assert cal.spring_festival_break_start(2027) == (date(2027, 2, 5), False)
    assert cal.fingerprint != LegalCalendar().fingerprint
    # 2028 still has no notice.
    assert cal.day(date(2028, 3, 1)).assumed


def test_an_override_replaces_the_package_year(tmp_path: Path) -> None:
    # A (fictitious) corrected 2026 notice without the 02-28 make-up Saturday.
    path = write(
        tmp_path,
        "2026.yml",
        """\
        year: 2026
        source: corrected
        holidays:
          - {name: 春节, from: 2026-02-15, to: 2026-02-23}
        workdays:
          - {name: 春节, date: 2026-02-14}
        """,
    )
    cal = LegalCalendar(override_files=[path])
    assert cal.is_workday(date(2026, 2, 14))
    assert not cal.is_workday(date(2026, 2, 28))
    assert cal.is_workday(date(2026, 10, 5))  # the package's 国庆 block is gone with its year
    assert LegalCalendar().is_workday(date(2026, 2, 28))


def test_new_year_entry_may_reach_into_december(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "2028.yaml",
        """\
        year: 2028
        source: test
        holidays:
          - {name: 元旦, from: 2027-12-31, to: 2028-01-02}
        workdays:
          - {name: 元旦, date: 2027-12-26}
        """,
    )
    cal = LegalCalendar(override_files=[path])
    d = cal.day(date(2027, 12, 31))
    assert not d.workday
    assert d.holiday == "元旦"
    assert not d.assumed
    assert cal.day(date(2027, 12, 26)).workday
    assert cal.day(date(2027, 12, 30)).assumed  # the rest of 2027 is still the fallback


def test_every_problem_at_once_with_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.yaml",
        """\
        year: 2027
        source: test
        holiday_list: []
        holidays:
          - {name: 元旦, from: 2027-01-01, to: 2027-01-01}
          - {name: 春节, from: 2027-02-30, to: 2027-02-12}
          - {name: 春节, from: 2027-02-12, to: 2027-02-05}
          - {name: 国庆节, from: 2028-10-01, to: 2028-10-07}
          - {name: 劳动节, from: 2027-05-01, to: 2027-05-05, note: x}
          - {from: 2027-06-09, to: 2027-06-09}
          - {name: 中秋节, from: 2027-09-01, to: 2027-09-30}
          - {name: 清明节, from: 2027-04-05}
          - {name: 元旦, date: 2027-01-01}
        workdays:
          - {name: 劳动节, date: 2027-05-01}
          - {name: 春节, date: 2027-02-16}
          - {name: 春节, date: 2027/02/14}
          - {name: 春节}
        """,
    )
    with pytest.raises(RuleError) as e:
        LegalCalendar(override_files=[path])
    got = problems(e)
    assert [line for _, line, _ in got] == [3, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 17, 18]
    assert all(f == "bad.yaml" for f, _, _ in got)
    msgs = dict((line, m) for _, line, m in got)
    assert "unknown key 'holiday_list'" in msgs[3]
    assert "'2027-02-30' is not a date" in msgs[6]
    assert "before 'from'" in msgs[7]
    assert "outside year 2027" in msgs[8]
    assert "unknown key 'note'" in msgs[9]
    assert "'name'" in msgs[10]
    assert "30 days off" in msgs[11]
    assert "needs 'from' and 'to'" in msgs[12]
    assert "listed twice" in msgs[13]
    assert "line 5" in msgs[13]
    assert "both a holiday (line 9) and a working day" in msgs[15]
    assert "is a 周二" in msgs[16]
    assert "'2027/02/14' is not a date" in msgs[17]
    assert "'date' is missing" in msgs[18]
    assert str(e.value).splitlines()[0].startswith(f"{path}:3: ")


def test_top_level_problems(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", "source: ''\nholidays: {x: 1}\n")
    b = write(tmp_path, "b.yaml", "year: twenty\nsource: s\n")
    c = write(tmp_path, "c.yaml", "# nothing but a comment\n")
    d = write(tmp_path, "d.yaml", "- 2027\n")
    with pytest.raises(RuleError) as e:
        LegalCalendar(override_files=[a, b, c, d, tmp_path / "missing.yaml"])
    got = problems(e)
    assert ("a.yaml", 1, "'year' is missing") in got
    assert any(f == "a.yaml" and line == 1 and "'source'" in m for f, line, m in got)
    assert ("a.yaml", 2, "holidays: expected a list of entries") in got
    assert any(f == "b.yaml" and line == 1 and "'twenty' is not a year" in m for f, line, m in got)
    assert any(f == "c.yaml" and line is None and "empty" in m for f, line, m in got)
    assert any(f == "d.yaml" and line == 1 for f, line, _ in got)
    assert any(f == "missing.yaml" and "cannot read" in m for f, _, m in got)


def test_yaml_syntax_and_duplicate_keys(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", "year: 2027\nsource: s\nholidays: [\n  {name: 元旦\n")
    b = write(tmp_path, "b.yaml", "year: 2027\nsource: s\nyear: 2028\n")
    with pytest.raises(RuleError) as e:
        LegalCalendar(override_files=[a, b])
    got = problems(e)
    assert got[0][0] == "a.yaml"
    assert got[0][1] is not None
    assert "YAML syntax" in got[0][2]
    assert got[1][:2] == ("b.yaml", 3)


def test_two_files_for_one_year(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", GOOD_2027)
    b = write(tmp_path, "b.yaml", GOOD_2027)
    with pytest.raises(RuleError) as e:
        LegalCalendar(override_files=[a, b])
    assert problems(e) == [("b.yaml", None, f"a second calendar for 2027 (the first is {a})")]


def test_conflict_between_two_notices(tmp_path: Path) -> None:
    a = write(
        tmp_path,
        "2027.yaml",
        "year: 2027\nsource: a\nworkdays:\n  - {name: 元旦, date: 2027-12-26}\n",
    )
    b = write(
        tmp_path,
        "2028.yaml",
        "year: 2028\nsource: b\nholidays:\n  - {name: 元旦, from: 2027-12-26, to: 2028-01-01}\n",
    )
    with pytest.raises(RuleError, match="2027-12-26: holiday here, but working day"):
        LegalCalendar(override_files=[a, b])


def test_notices_built_in_code() -> None:
    from zhiqian.rules.calendar import HolidayNotice

    notice = HolidayNotice(
        year=2027,
        source="stored notice",
        holidays={date(2027, 2, 5): "春节", date(2027, 2, 11): "春节"},
        workdays={date(2027, 2, 20): "春节"},
    )
    cal = LegalCalendar(notices=[notice])
    assert cal.notices == (notice,)
    assert not cal.is_workday(date(2027, 2, 11))
    assert cal.is_workday(date(2027, 2, 20))
    assert cal.is_workday(date(2027, 2, 9))  # not in this (fictitious) notice
    assert cal.day(date(2027, 2, 9)).source == "stored notice"
