"""What a pack may let a rule do: acts the law reserves to a person are only proposed, and the
pack must say who decides them; a decision's documents are never a rule's."""

from __future__ import annotations

from pathlib import Path

from zhiqian.rules.loader import check_pack, load_pack


def _child(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "child.yaml"
    path.write_text(
        'pack: child\nversion: "1"\nextends: national\nlabel: 测试\n' + body, encoding="utf-8"
    )
    return path


def _problems(path: Path) -> list[str]:
    return [str(p) for p in check_pack(path)]


def test_every_reserved_act_of_the_national_pack_is_decided_by_a_named_person() -> None:
    pack = load_pack("national")
    modes = [pack.action_mode(a, e) for e in pack.escalations for a in e.do]
    reserved = {m.kind for m in modes if m.mode == "recommends"}
    assert reserved == {"refer_police", "blacklist", "supervise", "assign_leader"}
    referral = next(m for m in modes if m.kind == "refer_police")
    assert (referral.decided_by, referral.office, referral.within) == ("负责人", "same", "3 days")
    assert "国务院令第310号" in referral.basis
    assert "第五条" in referral.basis
    supervise = next(m for m in modes if m.kind == "supervise")
    assert supervise.office == "upper"
    # each decision has its legal clock: 310号令's own, or one the loader made
    ids = {c.id for c in pack.clocks}
    assert {"referral_decision", "decide_supervise", "decide_blacklist"} <= ids
    made = pack.clock("decide_supervise")
    assert made.start.on_event == ("propose_supervise",)
    assert set(made.stop.on_event if made.stop else ()) == {
        "approve_supervise",
        "reject_supervise",
    }


def test_a_reserved_act_without_a_decider_is_a_load_error(tmp_path: Path) -> None:
    path = tmp_path / "bare.yaml"
    national = load_pack("national").files[0]
    text = Path(national).read_text(encoding="utf-8")
    start = text.index("decisions:\n")
    end = text.index("\nrouting:")
    path.write_text(
        text[:start].replace("pack: national", "pack: bare") + text[end:], encoding="utf-8"
    )
    found = _problems(path)
    assert any(
        "refer_police" in p and "reserves to a person" in p and "decisions.refer_police" in p
        for p in found
    ), found


def test_decisions_name_only_reserved_acts(tmp_path: Path) -> None:
    path = _child(
        tmp_path,
        "decisions:\n  notify:\n    by: 负责人\n    within: 1 days\n    basis: 测试\n    status: CONV\n",
    )
    found = _problems(path)
    assert any("decisions.notify" in p and "reserves to a person" in p for p in found), found


def test_a_rule_cannot_issue_a_decisions_document(tmp_path: Path) -> None:
    path = _child(
        tmp_path,
        "escalations:\n"
        "  - id: early_letter\n    label: 过早的移送书\n    when: workers >= 1\n"
        "    do: [{notify: {to: [leader], template: 移送函}}]\n"
        "    basis: 测试\n    status: CONV\n",
    )
    found = _problems(path)
    assert any("issued by a decision" in p and ":" in p.split(" ")[0] for p in found), found


def test_a_province_overrides_who_decides(tmp_path: Path) -> None:
    path = _child(
        tmp_path,
        "decisions:\n  supervise:\n    by: 省人力资源社会保障厅\n    office: upper\n"
        "    within: 5 workdays\n    basis: 测试省规定\n    status: L\n",
    )
    pack = load_pack(path)
    assert pack.spec.decisions["supervise"].by == "省人力资源社会保障厅"
    assert str(pack.clock("decide_supervise").limit) == "5 workdays"
    assert pack.spec.decisions["refer_police"].by == "负责人"  # inherited
