"""Notice templates: English ids in code, the Chinese names stored, both accepted where named."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from zhiqian import UnknownName
from zhiqian.errors import NotifierError
from zhiqian.notifiers import (
    ADVANCE_ADVICE,
    DAILY_DIGEST,
    DECISION_REQUEST,
    ESCALATION_NOTICE,
    LEADER_NOTICE,
    OPTIONAL_CONTEXT,
    OVERDUE_WARNING,
    PERSONAL_DATA_TEMPLATES,
    POLICE_REFERRAL,
    REFERRAL_APPROVAL,
    REMINDER,
    REQUIRED_CONTEXT,
    SUPERVISION_NOTICE,
    TEMPLATE_ALIASES,
    TEMPLATE_DIR,
    TEMPLATE_FILES,
    TEMPLATE_IDS,
    TEMPLATE_LABELS,
    TEMPLATES,
    Notice,
    NoticeRenderer,
    template_id,
    template_label,
)
from zhiqian.rules.loader import load_pack

NAMES = {
    OVERDUE_WARNING: "超期预警",
    REMINDER: "催办提醒",
    SUPERVISION_NOTICE: "挂牌督办通知书",
    ESCALATION_NOTICE: "提级办理通知书",
    LEADER_NOTICE: "领导包案通知",
    ADVANCE_ADVICE: "垫付建议",
    REFERRAL_APPROVAL: "移送审批表",
    DECISION_REQUEST: "提请决定审批表",
    POLICE_REFERRAL: "涉嫌犯罪案件移送书",
    DAILY_DIGEST: "每日台账摘要",
}
OLD_NAMES = {"督办通知": SUPERVISION_NOTICE, "移送函": POLICE_REFERRAL}


def test_the_ids_are_the_file_stems_and_the_names_their_labels() -> None:
    assert dict(TEMPLATE_LABELS) == NAMES
    assert tuple(NAMES) == TEMPLATE_IDS
    assert tuple(NAMES.values()) == TEMPLATES
    for tid in TEMPLATE_IDS:
        assert TEMPLATE_FILES[tid] == tid
        assert (TEMPLATE_DIR / f"{tid}.txt.j2").is_file()
        assert (TEMPLATE_DIR / f"{tid}.subject.j2").is_file()


@pytest.mark.parametrize(("tid", "name"), NAMES.items())
def test_either_spelling_maps_to_the_id_and_the_name(tid: str, name: str) -> None:
    assert template_id(tid) == template_id(name) == tid
    assert template_label(tid) == template_label(name) == name
    # the tables answer to both and iterate the ids
    assert REQUIRED_CONTEXT[name] == REQUIRED_CONTEXT[tid]
    assert OPTIONAL_CONTEXT[name] == OPTIONAL_CONTEXT[tid]
    assert name in REQUIRED_CONTEXT
    assert tid in REQUIRED_CONTEXT


@pytest.mark.parametrize(("old", "tid"), OLD_NAMES.items())
def test_the_names_stored_before_the_split_still_map(old: str, tid: str) -> None:
    """Rows already written and packs not yet rewritten keep working."""
    assert dict(TEMPLATE_ALIASES) == OLD_NAMES
    assert template_id(old) == tid
    assert template_label(old) == NAMES[tid]  # shown and stored under the new name
    assert REQUIRED_CONTEXT[old] == REQUIRED_CONTEXT[tid]
    assert _notice(old).template == NAMES[tid]


def test_unknown_templates_are_unknown_names() -> None:
    with pytest.raises(UnknownName, match="unknown notice template '催办函'; known: ") as missed:
        template_id("催办函")
    assert "police_referral (涉嫌犯罪案件移送书)" in missed.value.known
    with pytest.raises(KeyError):
        REQUIRED_CONTEXT["催办函"]  # type: ignore[index]
    assert "催办函" not in REQUIRED_CONTEXT
    assert list(REQUIRED_CONTEXT) == list(TEMPLATE_IDS)


def _notice(template: str) -> Notice:
    return Notice(
        id=1,
        case_id=7,
        case_ref="YZ-1",
        template=template,  # type: ignore[arg-type]
        channel="log",
        recipient="leader",
        address="",
        context={},
        idempotency_key="k",
        created_at=datetime(2026, 3, 2, 9, tzinfo=UTC),
    )


def test_a_notice_given_an_id_stores_the_name() -> None:
    by_id, by_name = _notice(POLICE_REFERRAL), _notice("涉嫌犯罪案件移送书")
    assert by_id == by_name == _notice("移送函")
    assert by_id.template == "涉嫌犯罪案件移送书"  # the stored value, JSON shapes and payloads
    assert by_id.to_dict()["template"] == "涉嫌犯罪案件移送书"
    assert by_id.template_id == POLICE_REFERRAL
    assert Notice.from_dict(by_id.to_dict()).template_id == POLICE_REFERRAL
    assert by_id.template in PERSONAL_DATA_TEMPLATES


def test_rendering_goes_by_id_and_names_the_template_as_clerks_know_it() -> None:
    with pytest.raises(
        NotifierError, match=r"notice template '涉嫌犯罪案件移送书' \(police_referral\.txt\.j2\)"
    ):
        NoticeRenderer().render(_notice(POLICE_REFERRAL))


PACK = """\
pack: ids
version: "1"
label: 测试
lifecycle:
  initial: open
  states:
    - {id: open, label: 开}
    - {id: done, label: 完, final: true}
  events:
    - {id: finish, label: 完成, from: open, to: done}
clocks:
  - id: work
    label: 办理
    start: {on_event: [received]}
    stop: {on_enter: [done]}
    limit: 5 workdays
    warn: [{before: 1 workdays, template: TEMPLATE_W}]
    basis: 测试依据
    status: V
escalations:
  - id: late
    label: 超期
    when: breached("work")
    do: [{notify: {to: [office], template: TEMPLATE_N}}]
    basis: 测试依据
    status: CONV
routing:
  roles:
    - {id: office, label: 办公室}
  digest: {at: "08:30", to: [office], template: TEMPLATE_D}
"""


def _pack(tmp_path: Path, name: str, w: str, n: str, d: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    text = PACK.replace("TEMPLATE_W", w).replace("TEMPLATE_N", n).replace("TEMPLATE_D", d)
    path.write_text(text, encoding="utf-8")
    return path


def test_packs_may_name_templates_by_id_or_by_name(tmp_path: Path) -> None:
    # a rule's notify may name only what decides nothing (the decision documents are refused:
    # tests/rules/test_decisions_pack.py); the old names of those still map to their ids
    by_id = load_pack(_pack(tmp_path, "a", OVERDUE_WARNING, REMINDER, DAILY_DIGEST))
    by_name = load_pack(_pack(tmp_path, "b", "超期预警", "催办提醒", "每日台账摘要"))
    by_old_name = load_pack(_pack(tmp_path, "c", "超期预警", "reminder", "每日台账摘要"))
    assert template_id("移送函") == POLICE_REFERRAL
    assert template_id("督办通知") == SUPERVISION_NOTICE
    for pack in (by_id, by_name, by_old_name):
        warn = pack.clock("work").warn[0]
        notify = pack.escalation("late").do[0].notify  # type: ignore[union-attr]
        digest = pack.routing.digest
        assert notify is not None
        assert digest is not None
        assert (warn.template, notify.template, digest.template) == (
            "超期预警",
            "催办提醒",
            "每日台账摘要",
        )
        assert (warn.template_id, notify.template_id, digest.template_id) == (
            OVERDUE_WARNING,
            REMINDER,
            DAILY_DIGEST,
        )
    # the same rules, however spelt: the same fingerprint (cases record it)
    assert by_id.fingerprint == by_name.fingerprint == by_old_name.fingerprint
