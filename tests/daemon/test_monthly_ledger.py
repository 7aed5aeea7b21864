"""The monthly job (阳泉: the 28th) writes the office's 案件台账 as XLSX."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from zhiqian import Engine, FrozenClock, RuleError
from zhiqian.engine.jobs.monthly import ledger_path, write_monthly_ledger
from zhiqian.engine.service.daemon import Daemon
from zhiqian.notifiers import MemoryNotifier
from zhiqian.testing import sample_complaint

CST = ZoneInfo("Asia/Shanghai")


def test_monthly_job_writes_the_case_ledger(db_url: str, tmp_path: Path) -> None:
    clock = FrozenClock(datetime(2019, 11, 28, 9, 0, tzinfo=CST))
    with Engine.open(db_url, create=True, clock=clock, pack="yangquan-2019") as eng:
        refs = [
            eng.receive(
                sample_complaint(i, received_at=datetime(2019, 11, 20 + i, 10, tzinfo=CST))
            ).ref
            for i in range(3)
        ]
        memory = MemoryNotifier()
        daemon = Daemon(eng, notifiers={"log": memory, "file": memory}, reports_dir=tmp_path)
        daemon.monthly_job("monthly_ledger")
    (path,) = tmp_path.glob("monthly_ledger-all-2019-11.xlsx")
    sheet = openpyxl.load_workbook(path).active
    cells = {str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None}
    assert set(refs) <= cells


def test_the_job_takes_everything_as_arguments(db_url: str, tmp_path: Path) -> None:
    clock = FrozenClock(datetime(2019, 11, 28, 9, 0, tzinfo=CST))
    with Engine.open(db_url, create=True, clock=clock, pack="yangquan-2019") as eng:
        ref = eng.receive(
            sample_complaint(7, received_at=datetime(2019, 11, 21, 10, tzinfo=CST))
        ).ref
        path = write_monthly_ledger(
            eng.report_cases(),
            tmp_path / "out",
            report_id="monthly_ledger",
            now=clock.now(),
            tz=CST,
            unit_name="阳泉市人力资源和社会保障局",
        )
        # The daemon hands over the settings' unit instead of the pack's label.
        memory = MemoryNotifier()
        daemon = Daemon(
            eng, notifiers={"log": memory}, reports_dir=tmp_path / "d", unit="城区人社局"
        )
        daemon.monthly_job("monthly_ledger")
        with pytest.raises(RuleError, match="no report 'weekly'"):
            daemon.monthly_job("weekly")
    assert path == ledger_path(
        tmp_path / "out", report_id="monthly_ledger", region=None, day=date(2019, 11, 28)
    )
    cells = _cells(path)
    assert ref in cells
    assert any("阳泉市人力资源和社会保障局" in c for c in cells)
    (written,) = (tmp_path / "d").glob("*.xlsx")
    assert any("城区人社局" in c for c in _cells(written))


def _cells(path: Path) -> set[str]:
    sheet = openpyxl.load_workbook(path).active
    return {str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None}


def test_no_ledger_is_written_outside_the_duty_window(db_url: str, tmp_path: Path) -> None:
    # 阳泉's 两台账 are owed monthly during the campaign (2019-11-15 … 2020-01-23) only.
    clock = FrozenClock(datetime(2020, 2, 28, 9, 0, tzinfo=CST))
    with Engine.open(db_url, create=True, clock=clock, pack="yangquan-2019") as eng:
        eng.receive(sample_complaint(8, received_at=datetime(2020, 2, 27, 10, tzinfo=CST)))
        memory = MemoryNotifier()
        daemon = Daemon(eng, notifiers={"log": memory}, reports_dir=tmp_path)
        daemon.monthly_job("monthly_ledger")
        assert list(tmp_path.glob("*.xlsx")) == []
        clock.set(datetime(2020, 1, 28, 9, 0, tzinfo=CST))  # not owed either: after 01-23
        daemon.monthly_job("monthly_ledger")
        assert list(tmp_path.glob("*.xlsx")) == []
