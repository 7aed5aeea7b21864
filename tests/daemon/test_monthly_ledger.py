"""The monthly job (阳泉: the 28th) writes the office's 案件台账 as XLSX."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl

from zhiqian import Engine, FrozenClock
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
