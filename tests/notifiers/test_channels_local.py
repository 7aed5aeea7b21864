"""The channels that need no server: file, log, memory."""

from __future__ import annotations

import logging
import threading

import pytest

from zhiqian.notifiers import (
    FileNotifier,
    LogNotifier,
    MemoryNotifier,
    NoticeRenderer,
    RenderedNotice,
    key_digest,
)

# --- file ------------------------------------------------------------------------------------


def test_file_writes_text_and_html_named_after_the_notice(tmp_path, kit):
    notice = kit.make_notice("超期预警", id=41)
    rendered = NoticeRenderer().render(notice)
    result = FileNotifier(tmp_path / "out").send(notice, rendered)
    assert result.ok, result.detail
    text = tmp_path / "out" / "YZ-2026-0001-超期预警-41.txt"
    assert result.remote_id == str(text)
    assert text.read_text("utf-8") == rendered.text
    assert (tmp_path / "out" / "YZ-2026-0001-超期预警-41.html").read_text("utf-8") == rendered.html


def test_file_retry_overwrites_instead_of_duplicating(tmp_path, kit):
    notifier = FileNotifier(tmp_path)
    notice = kit.make_notice(id=None)
    first = notifier.send(notice, RenderedNotice("s", "第一次\n"))
    second = notifier.send(notice, RenderedNotice("s", "第二次\n"))
    assert first.ok
    assert second.ok
    assert first.remote_id == second.remote_id
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [f"YZ-2026-0001-超期预警-k{key_digest(notice.idempotency_key)[:16]}.txt"]
    assert (tmp_path / files[0]).read_text("utf-8") == "第二次\n"
    # another notice (another key) gets its own file
    notifier.send(kit.make_notice(id=None, key="other"), RenderedNotice("s", "x"))
    assert len(list(tmp_path.iterdir())) == 2


def test_file_name_is_safe_whatever_the_case_ref(tmp_path, kit):
    notice = kit.make_notice(case_ref="../../etc/passwd:1", id=3)
    result = FileNotifier(tmp_path).send(notice, kit.rendered)
    assert result.ok
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(written) == 2
    assert all(p.parent == tmp_path for p in written)


def test_file_folder_from_the_address(tmp_path, kit):
    notice = kit.make_notice(address=str(tmp_path / "科室"), id=5)
    assert FileNotifier().send(notice, kit.rendered).ok
    assert (tmp_path / "科室" / "YZ-2026-0001-超期预警-5.txt").exists()
    result = FileNotifier().send(kit.make_notice(address=""), kit.rendered)
    assert not result.ok
    assert not result.retryable


def test_file_unwritable_folder_is_a_permanent_failure(tmp_path, kit):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    result = FileNotifier(blocker / "sub").send(kit.make_notice(), kit.rendered)
    assert not result.ok
    assert not result.retryable
    assert "cannot write" in result.detail


def test_file_concurrent_retries_leave_one_complete_file(tmp_path, kit):
    notifier = FileNotifier(tmp_path, fsync=False)
    notice = kit.make_notice(id=9)
    bodies = [f"版本{i}\n" * 2000 for i in range(8)]
    threads = [
        threading.Thread(target=notifier.send, args=(notice, RenderedNotice("s", body, None)))
        for body in bodies
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=kit.wait)
    files = list(tmp_path.iterdir())
    assert len(files) == 1
    assert files[0].read_text("utf-8") in bodies


# --- log -------------------------------------------------------------------------------------


def test_log_is_structured_and_leaves_the_text_out(caplog, kit):
    notice = kit.make_notice("移送函")
    rendered = NoticeRenderer().render(notice)
    with caplog.at_level(logging.INFO, logger="zhiqian.notifiers.log"):
        result = LogNotifier().send(notice, rendered)
    assert result.ok
    (record,) = caplog.records
    fields = record.zhiqian_notice
    assert fields["template"] == "涉嫌犯罪案件移送书"  # an older name maps to the new one
    assert fields["idempotency_key"] == notice.idempotency_key
    assert "text" not in fields
    assert kit.phone not in caplog.text
    assert kit.id_number not in caplog.text


def test_log_can_include_the_text(caplog, kit):
    with caplog.at_level(logging.WARNING, logger="custom"):
        LogNotifier(logger="custom", level="WARNING", include_text=True).send(
            kit.make_notice(), kit.rendered
        )
    assert caplog.records[0].zhiqian_notice["text"] == kit.rendered.text
    with pytest.raises(ValueError, match="log level"):
        LogNotifier(level="LOUD")


# --- memory ----------------------------------------------------------------------------------


def test_memory_records_and_fails_on_demand(kit):
    memory = MemoryNotifier()
    memory.fail_next(2, retryable=True, retry_after=30)
    notice = kit.make_notice()
    results = [memory.send(notice, kit.rendered) for _ in range(3)]
    assert [r.ok for r in results] == [False, False, True]
    assert results[0].retryable
    assert results[0].retry_after == 30
    assert len(memory.attempts) == 3
    assert len(memory.sent) == 1
    memory.fail_next(retryable=False, detail="gone")
    last = memory.send(notice, kit.rendered)
    assert not last.ok
    assert not last.retryable
    assert last.detail == "gone"


def test_memory_dedupe_acts_like_a_remote_honouring_keys(kit):
    memory = MemoryNotifier(dedupe=True)
    notice = kit.make_notice()
    assert memory.send(notice, kit.rendered).ok
    assert memory.send(notice, kit.rendered).ok  # retry after a crash before "marked sent"
    assert len(memory.sent) == 1
    assert len(memory.attempts) == 2
    memory.clear()
    assert memory.attempts == []
