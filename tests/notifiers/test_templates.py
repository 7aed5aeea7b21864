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
    for expected in (
        "太原市迎泽区人力资源和社会保障局",
        "案件编号：YZ-2026-0001",
        "期限届满：2026年3月10日",
        "已超过期限3个工作日",
        "《劳动保障监察条例》第十七条",
        "2026年3月2日",
    ):
        assert expected in out.text
    ctx = kit.contexts["超期预警"] | {"days_left": 2, "day_unit": "日"}
    out = renderer.render(kit.make_notice("超期预警", context=ctx))
    assert "尚余2日" in out.text
    assert "尚余2日" in out.subject
    out = renderer.render(kit.make_notice("超期预警", context=ctx | {"days_left": 0}))
    assert "期限于今日届满" in out.text


def test_escalation_notice_names_both_levels_rule_and_basis(renderer, kit):
    out = renderer.render(kit.make_notice("提级办理通知书"))
    assert "太原市迎泽区人力资源和社会保障局：" in out.text  # default addressee
    assert "由太原市迎泽区（140106）提级至太原市（140100）办理" in out.text
    assert "escalate.county_overdue" in out.text
    assert "该案超过调查处理时限仍未办结" in out.text
    assert out.subject.endswith("提级至太原市办理")


def test_supervision_notice(renderer, kit):
    out = renderer.render(kit.make_notice("督办通知"))
    assert "挂牌督办通知书" in out.text
    assert "涉及金额人民币1,234,567.50元" in out.text
    assert "于2026年3月5日前" in out.text
    assert "由王五同志包案负责" in out.text
    assert "投诉人：张**（联系电话：138****5678）" in out.text


def test_referral_letter_carries_what_the_police_need(renderer, kit):
    out = renderer.render(kit.make_notice("移送函"))
    text = out.text
    for expected in (
        "涉嫌犯罪案件移送书",
        "迎人社移〔2026〕3号",
        "太原市公安局迎泽分局：",
        "统一社会信用代码：91140100MA0K1234X5",
        "拖欠12名劳动者（其中农民工11名）劳动报酬共计人民币320,000.00元",
        "劳动保障监察限期整改指令书（迎人社监令〔2026〕12号，送达方式：张贴送达）",
        "于2026年1月15日前支付",
        "仍未支付劳动报酬人民币320,000.00元",
        "第二百七十六条之一",
        "国务院令第310号",
        "2026年2月27日批准",
        "3日内作出立案或者不予立案的决定",
        "移送书回执",
        # personal data in full: the police need them
        kit.complainant,
        kit.phone,
        kit.id_number,
    ):
        assert expected in text, expected
    for number, item in enumerate(REFERRAL_ENCLOSURES, start=1):
        assert f"{number}. {item}" in text
    assert "送达回证" in text
    assert "调查报告" in text
    assert "涉案物品清单" in text


def test_referral_enclosures_can_be_given(renderer, kit):
    ctx = kit.contexts["移送函"] | {"enclosures": ["调查报告（12页）", "送达回证（1页）"]}
    text = renderer.render(kit.make_notice("移送函", context=ctx)).text
    assert "1. 调查报告（12页）" in text
    assert "2. 送达回证（1页）" in text
    assert REFERRAL_ENCLOSURES[1] not in text


def test_daily_digest_sorts_most_overdue_first_and_aligns_columns(renderer, kit):
    out = renderer.render(kit.make_notice("每日台账摘要", case_ref="台账-2026-03-02-李四"))
    assert out.subject == "【每日台账摘要】2026年3月2日 李四：在办3件，超期1件"
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
    assert frozenset({"移送函"}) == PERSONAL_DATA_TEMPLATES


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
    with pytest.raises(NotifierError, match=r"移送函 .*police_referral.txt.j2:2"):
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
    ctx = kit.contexts["督办通知"] | {"amount_owed": 0.1}
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
