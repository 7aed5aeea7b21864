"""Notice documents: content, strictness, sandbox, overrides, masking."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
from jinja2 import meta

from zhiqian.errors import NotifierError
from zhiqian.notifiers import (
    OPTIONAL_CONTEXT,
    PERSONAL_DATA_TEMPLATES,
    PROVIDED_CONTEXT,
    REFERRAL_ENCLOSURES,
    REQUIRED_CONTEXT,
    TEMPLATE_DIR,
    TEMPLATE_FILES,
    TEMPLATES,
    NoticeRenderer,
    mask_id_number,
    mask_name,
    mask_phone,
    render_notice,
)


@pytest.fixture(scope="module")
def renderer() -> NoticeRenderer:
    return NoticeRenderer()


def test_shipped_templates_compile(renderer):
    renderer.check()


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_renders_its_example(renderer, kit, template):
    out = renderer.render(kit.make_notice(template))
    assert out.subject
    assert "\n" not in out.subject
    assert out.text.strip()
    assert "None" not in out.text
    assert "YZ-2026-0001" in out.text or template == "每日台账摘要"


@pytest.mark.parametrize("template", TEMPLATES)
def test_context_constants_match_the_templates(template):
    """REQUIRED_CONTEXT ∪ OPTIONAL_CONTEXT is exactly what the shipped files use, so the engine
    side can trust the constants."""
    env = jinja2.Environment()
    for name in ("date_cn", "yuan", "span", "pad", "mask_phone", "mask_id", "mask_name"):
        env.filters[name] = str
    used: set[str] = set()
    stem = TEMPLATE_FILES[template]
    for path in TEMPLATE_DIR.glob(f"{stem}.*.j2"):
        used |= meta.find_undeclared_variables(env.parse(path.read_text("utf-8")))
    used -= PROVIDED_CONTEXT | {"default_enclosures"}
    assert used == REQUIRED_CONTEXT[template] | OPTIONAL_CONTEXT[template]
    assert not REQUIRED_CONTEXT[template] & OPTIONAL_CONTEXT[template]


def test_overdue_warning_text(renderer, kit):
    out = renderer.render(kit.make_notice("超期预警"))
    assert out.subject == "【超期预警】YZ-2026-0001 调查处理时限已超期3个工作日"
    lines = out.text.splitlines()
    for expected in (
        "承办机关：太原市迎泽区人力资源和社会保障局",
        "案件编号：YZ-2026-0001",
        "期限届满：2026年3月10日",
        "当前状态：已超过期限3个工作日",
        "时限依据：《劳动保障监察条例》第十七条",
        "2026年3月2日",
    ):
        assert expected in lines, expected  # each labelled fact on a line of its own
    assert "预警规则" not in out.text
    assert "不代表任何处理决定" in out.text
    ctx = kit.contexts["超期预警"] | {"days_left": 2, "day_unit": "日"}
    out = renderer.render(kit.make_notice("超期预警", context=ctx))
    assert "尚余2日" in out.text
    assert "尚余2日" in out.subject
    out = renderer.render(kit.make_notice("超期预警", context=ctx | {"days_left": 0}))
    assert "期限于今日届满" in out.text


def test_reminder_asks_for_a_report_or_a_decision_and_decides_nothing(renderer, kit):
    out = renderer.render(kit.make_notice("催办提醒"))
    assert "催办事项：次日报告案件处理解决进展" in out.text.splitlines()
    assert "请于2026年3月3日前办理上述事项" in out.text
    assert out.subject == "【催办提醒】YZ-2026-0001 次日报告案件处理解决进展（2026年3月3日前办理）"
    ctx = kit.contexts["催办提醒"] | {
        "kind": "decision",
        "matter": "是否批准移送公安机关",
        "due": "2026-03-05T23:59:59+08:00",
        "proposed_on": "2026-03-02",
        "decider": "太原市迎泽区人力资源和社会保障局负责人",
        "basis": "《行政执法机关移送涉嫌犯罪案件的规定》（国务院令第310号）第五条",
    }
    text = renderer.render(kit.make_notice("催办提醒", context=ctx)).text
    assert "待决事项：是否批准移送公安机关" in text.splitlines()
    assert "决定期限：2026年3月5日" in text.splitlines()
    assert "请于2026年3月5日前作出批准或者不批准的决定" in text
    for claim in ("已批准", "决定移送", "现决定", "经批准"):
        assert claim not in text
    late = renderer.render(kit.make_notice("催办提醒", context=ctx | {"issued_on": "2026-03-09"}))
    assert "该事项的决定期限已于2026年3月5日届满，至今尚未作出决定。" in late.text
    assert late.subject.endswith("（已于2026年3月5日到期）")
    report = kit.contexts["催办提醒"] | {"issued_on": "2026-03-04"}
    text = renderer.render(kit.make_notice("催办提醒", context=report)).text
    assert "上述事项已于2026年3月3日到期。请立即办理" in text


def test_escalation_notice_goes_from_the_higher_office_to_the_lower(renderer, kit):
    out = renderer.render(kit.make_notice("提级办理通知书"))
    head, addressee = out.text.splitlines()[0], out.text.splitlines()[3]
    assert head == "太原市人力资源和社会保障局"
    assert addressee == "太原市迎泽区人力资源和社会保障局："
    assert "本机关于2026年2月27日决定对该案提级办理，自本通知送达之日起由本机关调查处理" in out.text
    assert "提级事由：该案超过调查处理时限仍未办结" in out.text
    assert "规则" not in out.text
    assert out.subject.endswith("由太原市提级办理")


def test_supervision_notice(renderer, kit):
    out = renderer.render(kit.make_notice("挂牌督办通知书"))
    assert out.text.startswith("太原市人力资源和社会保障局\n挂牌督办通知书\n")
    assert "太原市迎泽区人力资源和社会保障局：" in out.text
    assert "本机关于2026年2月27日决定对该案实行挂牌督办" in out.text
    assert "涉及金额人民币1,234,567.50元" in out.text
    assert "于2026年3月5日前" in out.text
    assert "由王五同志包案负责" in out.text
    assert "投诉人：张**（联系电话：138****5678）" in out.text


def test_leader_notice_names_the_leader_and_who_decided(renderer, kit):
    out = renderer.render(kit.make_notice("领导包案通知"))
    assert "王五同志：" in out.text.splitlines()
    assert "经局长刘六于2026年2月27日决定，该案由你（分管领导）包案负责" in out.text
    assert "承办人员：李四" in out.text.splitlines()
    assert out.subject.endswith("由王五同志包案")


def test_advance_advice_recommends_and_says_it_decides_nothing(renderer, kit):
    out = renderer.render(kit.make_notice("垫付建议"))
    lines = out.text.splitlines()
    assert "建议事项：动用应急周转金先行垫付部分工资或基本生活费（须依法追偿）" in lines
    assert "涉及人数：12人（其中农民工11人）" in lines
    assert "不是垫付决定" in out.text
    assert "挂牌督办" not in out.text


def test_referral_approval_is_a_form_for_the_head(renderer, kit):
    out = renderer.render(kit.make_notice("移送审批表"))
    text = out.text
    lines = text.splitlines()
    assert "涉嫌犯罪案件移送审批表" in lines
    assert "决定期限：2026年2月28日" in lines
    assert "拟办意见：拟作为涉嫌拒不支付劳动报酬罪案件，移送太原市公安局迎泽分局" in lines
    assert (
        "责令支付：2026年1月5日送达劳动保障监察限期整改指令书（迎人社监令〔2026〕12号），"
        "责令于2026年1月15日前支付；期限届满后仍未支付人民币320,000.00元"
    ) in lines
    assert "自接到本报告之日起3日内作出批准移送或者不批准移送的决定" in text
    assert "负责人意见：□ 批准移送　　□ 不批准移送" in lines
    assert any(line.startswith("负责人（签名）：＿") for line in lines)
    assert out.subject.endswith("请于2026年2月28日前作出决定")
    # without the order's facts the line is left out, never filled with a placeholder
    ctx = {
        k: v
        for k, v in kit.contexts["移送审批表"].items()
        if not k.startswith("order_") and k != "amount_unpaid"
    }
    assert "责令支付：" not in renderer.render(kit.make_notice("移送审批表", context=ctx)).text


def test_decision_request_is_addressed_to_the_decider(renderer, kit):
    out = renderer.render(kit.make_notice("提请决定审批表"))
    lines = out.text.splitlines()
    assert lines[:4] == [
        "太原市迎泽区人力资源和社会保障局",
        "提请决定审批表",
        "",
        "太原市人力资源和社会保障局：",
    ]
    assert "提请事项：提请太原市人力资源和社会保障局对该案挂牌督办" in lines
    assert "请于2026年3月4日前对上述提请事项作出同意或者不同意的决定。" in lines
    assert "本表仅为提请决定的材料；未经决定同意，不发生挂牌督办的效力。" in lines
    assert "决定意见：□ 同意　　□ 不同意" in lines
    ctx = dict(kit.contexts["提请决定审批表"])
    del ctx["decision_due"]
    text = renderer.render(kit.make_notice("提请决定审批表", context=ctx)).text
    assert "决定期限" not in text
    assert "请对上述提请事项作出同意或者不同意的决定。" in text


def test_referral_letter_carries_what_the_police_need(renderer, kit):
    out = renderer.render(kit.make_notice("涉嫌犯罪案件移送书"))
    text = out.text
    for expected in (
        "涉嫌犯罪案件移送书",
        "迎泽人社移〔2026〕3号",
        "太原市公安局迎泽分局：",
        "统一社会信用代码：91140100MA0K1234X5",
        "拖欠12名劳动者（其中农民工11名）劳动报酬共计人民币320,000.00元",
        "劳动保障监察限期整改指令书（迎人社监令〔2026〕12号，送达方式：张贴送达）",
        "于2026年1月15日前支付",
        "仍未支付劳动报酬人民币320,000.00元",
        "第二百七十六条之一",
        "国务院令第310号",
        "经本机关负责人（局长刘六）于2026年2月27日批准",
        "3日内作出立案或者不予立案的决定",
        "移送书回执",
        # personal data in full: the police need them
        kit.complainant,
        kit.phone,
        kit.id_number,
    ):
        assert expected in text, expected
    assert "草稿" not in text
    for number, item in enumerate(REFERRAL_ENCLOSURES, start=1):
        assert f"{number}. {item}" in text
    assert "送达回证" in text
    assert "调查报告" in text
    assert "涉案物品清单" in text


def test_referral_letter_leaves_out_what_was_not_recorded(renderer, kit):
    ctx = dict(kit.contexts["涉嫌犯罪案件移送书"])
    del ctx["employer_uscc"], ctx["order_service_method"]
    ctx["project_name"] = "城区安置房项目（5标段）"
    text = renderer.render(kit.make_notice("涉嫌犯罪案件移送书", context=ctx)).text
    assert "山西某建筑工程有限公司在城区安置房项目（5标段）中拖欠12名劳动者" in text
    assert "（迎人社监令〔2026〕12号）" in text
    assert "送达方式" not in text
    assert "统一社会信用代码" not in text
    ctx["project_name"] = "城区安置房"
    text = renderer.render(kit.make_notice("涉嫌犯罪案件移送书", context=ctx)).text
    assert "在城区安置房项目中拖欠" in text


def test_referral_enclosures_can_be_given(renderer, kit):
    ctx = kit.contexts["涉嫌犯罪案件移送书"] | {
        "enclosures": ["调查报告（12页）", "送达回证（1页）"]
    }
    text = renderer.render(kit.make_notice("移送函", context=ctx)).text  # the older name
    assert "1. 调查报告（12页）" in text
    assert "2. 送达回证（1页）" in text
    assert REFERRAL_ENCLOSURES[1] not in text


def test_daily_digest_sorts_most_overdue_first_and_aligns_columns(renderer, kit):
    out = renderer.render(kit.make_notice("每日台账摘要", case_ref="台账-2026-03-02-李四"))
    assert out.subject == (
        "【每日台账摘要】2026年3月2日 太原市迎泽区人力资源和社会保障局 李四：在办3件，超期1件"
    )
    assert out.text.startswith("太原市迎泽区人力资源和社会保障局\n每日台账摘要（2026年3月2日）\n")
    assert out.text.rstrip().endswith("太原市迎泽区人力资源和社会保障局\n2026年3月2日")
    assert "在办案件3件，其中已超期1件，今日到期1件" in out.text
    rows = [line for line in out.text.splitlines() if line.startswith(("1 ", "2 ", "3 "))]
    assert [r.split()[1] for r in rows] == ["YZ-2026-0002", "YZ-2026-0003", "YZ-2026-0001"]
    assert rows[0].endswith("超期1个工作日")
    assert rows[1].endswith("今日届满")
    assert rows[2].endswith("尚余6个工作日")
    # the status column starts at the same display column on every row (CJK counts two)
    from unicodedata import east_asian_width

    def width(s: str) -> int:
        return sum(2 if east_asian_width(c) in "WF" else 1 for c in s)

    starts = {width(r[: r.rfind(" ") + 1]) for r in rows}
    assert len(starts) == 1
    assert "…" in rows[0]  # the long employer name was cut to its column
    assert out.html is not None
    assert out.html.count("<tr><td>") == 3


def test_empty_digest(renderer, kit):
    ctx = kit.contexts["每日台账摘要"] | {"cases": []}
    out = renderer.render(kit.make_notice("每日台账摘要", context=ctx))
    assert "今日无在办案件" in out.text
    assert "在办0件" in out.subject


@pytest.mark.parametrize("template", [t for t in TEMPLATES if t not in PERSONAL_DATA_TEMPLATES])
def test_other_templates_never_print_personal_data_unmasked(renderer, kit, template):
    out = renderer.render(kit.make_notice(template))
    for document in (out.subject, out.text, out.html or ""):
        assert kit.phone not in document
        assert kit.id_number not in document
        assert kit.complainant not in document


def test_only_the_referral_letter_may_carry_personal_data():
    assert frozenset({"涉嫌犯罪案件移送书"}) == PERSONAL_DATA_TEMPLATES


def test_html_twin_is_autoescaped_and_text_is_not(renderer, kit):
    ctx = kit.contexts["超期预警"] | {"employer_name": "<script>alert(1)</script>某公司"}
    out = renderer.render(kit.make_notice("超期预警", context=ctx))
    assert "<script>alert(1)</script>某公司" in out.text
    assert out.html is not None
    assert "<script>" not in out.html
    assert "&lt;script&gt;" in out.html


def test_notice_subject_wins_over_the_template(renderer, kit):
    out = renderer.render(kit.make_notice(subject="自定义  标题\n第二行"))
    assert out.subject == "自定义 标题 第二行"


def test_missing_required_variables_are_all_named(renderer, kit):
    ctx = dict(kit.contexts["超期预警"])
    del ctx["deadline"]
    ctx["basis"] = None
    with pytest.raises(NotifierError) as caught:
        renderer.render(kit.make_notice(context=ctx))
    message = str(caught.value)
    assert "超期预警" in message
    assert "basis" in message
    assert "deadline" in message
    assert caught.value.retryable is False


def test_strict_undefined_names_the_variable(tmp_path: Path, kit):
    (tmp_path / "overdue_warning.txt.j2").write_text("{{ case_ref }} {{ 承办科室 }}\n", "utf-8")
    with pytest.raises(NotifierError, match="承办科室") as caught:
        NoticeRenderer(tmp_path).render(kit.make_notice())
    assert "超期预警" in str(caught.value)
    assert "overdue_warning.txt.j2" in str(caught.value)


def test_strict_undefined_inside_a_digest_row(renderer, kit):
    ctx = kit.contexts["每日台账摘要"]
    del ctx["cases"][1]["clock_label"]
    with pytest.raises(NotifierError, match="clock_label"):
        renderer.render(kit.make_notice("每日台账摘要", context=ctx))


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ notice.__class__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ case_ref.format.__globals__ }}",
        "{% for c in cases %}{{ c.__class__.__base__ }}{% endfor %}",
    ],
)
def test_sandbox_refuses_python_internals(tmp_path: Path, kit, source):
    (tmp_path / "daily_digest.txt.j2").write_text(source, "utf-8")
    with pytest.raises(NotifierError, match="unsafe operation refused") as caught:
        NoticeRenderer(tmp_path).render(kit.make_notice("每日台账摘要"))
    assert caught.value.retryable is False
    assert "daily_digest.txt.j2" in str(caught.value)


def test_sandbox_refuses_to_mutate_the_context(tmp_path: Path, kit):
    (tmp_path / "daily_digest.txt.j2").write_text("{{ cases.append(1) }}", "utf-8")
    with pytest.raises(NotifierError, match="unsafe"):
        NoticeRenderer(tmp_path).render(kit.make_notice("每日台账摘要"))


def test_override_folder_wins_file_by_file(tmp_path: Path, kit):
    (tmp_path / "overdue_warning.txt.j2").write_text(
        "本地模板：{{ case_ref }}，{{ clock_label }}，{{ deadline|date_cn }}\n", "utf-8"
    )
    renderer = NoticeRenderer(tmp_path)
    out = renderer.render(kit.make_notice())
    assert out.text == "本地模板：YZ-2026-0001，调查处理时限，2026年3月10日\n"
    assert out.subject.startswith("【超期预警】")  # not overridden: shipped subject
    assert out.html is not None  # shipped twin still used
    # other templates untouched
    assert "提级办理通知书" in renderer.render(kit.make_notice("提级办理通知书")).text
    # the module-level helper honours the same folder
    assert render_notice(kit.make_notice(), override_folder=tmp_path).text == out.text


def test_override_syntax_error_reported_by_check(tmp_path: Path):
    (tmp_path / "police_referral.txt.j2").write_text("line one\n{% if %}\n", "utf-8")
    with pytest.raises(NotifierError, match=r"涉嫌犯罪案件移送书 .*police_referral.txt.j2:2"):
        NoticeRenderer(tmp_path).check()


def test_missing_override_folder_is_a_configuration_error(tmp_path: Path):
    with pytest.raises(NotifierError, match="does not exist"):
        NoticeRenderer(tmp_path / "nope")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("deadline", "10/03/2026", "not an ISO date"),
        ("days_left", "three", "days_left must be int"),
        ("cases", "none", "cases must be list"),
        ("day_unit", "周", "unknown unit"),
    ],
)
def test_bad_values_are_named(renderer, kit, field, value, message):
    template = "每日台账摘要" if field == "cases" else "超期预警"
    ctx = kit.contexts[template] | {field: value}
    with pytest.raises(NotifierError, match=message) as caught:
        renderer.render(kit.make_notice(template, context=ctx))
    assert template in str(caught.value)


def test_digest_row_without_days_left_is_named(renderer, kit):
    ctx = kit.contexts["每日台账摘要"]
    ctx["cases"][2]["days_left"] = "0"
    with pytest.raises(NotifierError, match=r"cases\[2\]\.days_left must be int"):
        renderer.render(kit.make_notice("每日台账摘要", context=ctx))


def test_float_amounts_are_refused(renderer, kit):
    ctx = kit.contexts["挂牌督办通知书"] | {"amount_owed": 0.1}
    with pytest.raises(NotifierError, match="decimal"):
        renderer.render(kit.make_notice("督办通知", context=ctx))


def test_masks():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0351-1234567") == "0351-***4567"
    assert mask_id_number("110101199003071234") == "110101********1234"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"


def test_overdue_warning_says_when_its_deadline_is_assumed(renderer, kit):
    plain = renderer.render(kit.make_notice("超期预警"))
    assert "推定" not in plain.text
    ctx = kit.contexts["超期预警"] | {"deadline_assumed": True}
    out = renderer.render(kit.make_notice("超期预警", context=ctx))
    assert "期限届满：2026年3月10日（推定：该年度国务院放假调休安排尚未公布" in out.text
    assert out.html is not None
    assert "推定" in out.html
