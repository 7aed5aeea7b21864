"""`case add` through the door: a lone surrogate or a syntax error in one record neither stops
the batch nor echoes the record, in every output format (issue 11, item 5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zhiqian.engine.cli import app
from zhiqian.testing import sample_complaint

AT = "2026-12-01T09:00:00+08:00"


def invoke(db: str, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner(env={"COLUMNS": None, "ZHIQIAN_DB": None}).invoke(
        app, ["--db", db, *args], input=stdin, catch_exceptions=False
    )
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("fmt", ["json", "table", "csv"])
def test_a_lone_surrogate_rejects_its_record_only(tmp_path: Path, fmt: str) -> None:
    db = f"sqlite:///{tmp_path / 'add.db'}"
    assert invoke(db, "db", "upgrade")[0] == 0
    records = [
        sample_complaint(0),
        sample_complaint(1, ref="ZQ-\ud800-1"),
        sample_complaint(2, summary="拖欠\udfff工资"),
        sample_complaint(3),
    ]
    text = "\n".join(json.dumps(r) for r in records)  # \ud800 escapes: valid JSON
    code, out, err = invoke(db, "case", "add", "-", "--at", AT, "--format", fmt, stdin=text)
    assert code == 1  # some records rejected, the others written
    assert "ZQ-TEST-000000" in out
    assert "ZQ-TEST-000003" in out
    listed = json.loads(invoke(db, "case", "list", "--format", "json")[1])
    assert sorted(c["ref"] for c in listed) == ["ZQ-TEST-000000", "ZQ-TEST-000003"]
    assert "surrogate" in out + err


def test_a_syntax_error_does_not_echo_name_or_phone(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'add.db'}"
    assert invoke(db, "db", "upgrade")[0] == 0
    record = sample_complaint(5)
    name, phone = record["complainant"]["name"], record["complainant"]["phone"]
    first = {"complainant": record.pop("complainant"), **record}  # inside an 80-char excerpt
    broken = json.dumps(first, ensure_ascii=False)[:-1] + ",,}"
    for stdin in (broken, json.dumps(sample_complaint(6), ensure_ascii=False) + "\n" + broken):
        code, out, err = invoke(db, "case", "add", "-", "--at", AT, "--format", "json", stdin=stdin)
        assert code != 0
        assert name not in out + err
        assert phone not in out + err
        assert "line" in err
