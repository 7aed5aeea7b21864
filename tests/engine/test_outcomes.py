"""The acts 附件2 counts, as pure handlers: each payment and each document once, the amounts
within what the case owes, the refusals naming the figures and what to do."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from zhiqian.engine.domain.actions import ActionEffect, apply_action
from zhiqian.engine.domain.outcomes import compensation_totals, document_key, recorded_payments
from zhiqian.errors import Refused
from zhiqian.rules.loader import load_pack
from zhiqian.store.records import CaseRecord

AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
D = Decimal
PACK = load_pack("national")

BASE = CaseRecord(
    id=7,
    ref="ZQ-7",
    channel="platform",
    received_at=datetime(2026, 11, 2, 1, 0, tzinfo=UTC),
    region="140302",
    handling_region="140302",
    level="county",
    state="handling",
    previous_state="verifying",
    version=5,
    head_hash="h",
    pack_name="national",
    pack_version=PACK.version,
    employer_name="阳泉市某建筑劳务有限公司",
    employer_uscc=None,
    employer_category="construction",
    project_name=None,
    project_kind=None,
    workers=3,
    migrant_workers=2,
    amount=D("45000.00"),
    migrant_amount=D("30000.00"),
    complainant_name="张三",
    complainant_phone="13812345678",
    complainant_id_number=None,
    flags=(),
    summary="拖欠工资",
    leader=None,
    leader_role=None,
    supervised_by=None,
    police_referred_at=None,
    police_filed_at=None,
    blacklist_candidate=False,
    arrears_verified=True,
    filed_at=None,
    resolved_without_filing=False,
    recovered_workers=0,
    recovered_migrant_workers=0,
    recovered_amount=D("0.00"),
    recovered_migrant_amount=D("0.00"),
    orders_to_correct=0,
    handling_decisions=0,
    penalty_decisions=0,
    publicised=False,
    blacklisted=False,
    largest_owed=None,
    largest_owed_months=None,
    contracted_migrant_workers=None,
    extra={},
    created_at=datetime(2026, 11, 2, 1, 0, tzinfo=UTC),
    updated_at=datetime(2026, 11, 2, 1, 0, tzinfo=UTC),
    closed_at=None,
)


def act(action: str, row: CaseRecord = BASE, **params: Any) -> ActionEffect:
    return apply_action(action, row, params, at=AT, actor="监察员-王", pack=PACK, clocks={})


def after(row: CaseRecord, effect: ActionEffect) -> CaseRecord:
    """The case as the engine writes it: the effect's values, the version one up."""
    return replace(row, **effect.values, version=row.version + 1)


def refused(action: str, row: CaseRecord = BASE, **params: Any) -> str:
    with pytest.raises(Refused) as caught:
        act(action, row, **params)
    return str(caught.value)


PAY = {"workers": 3, "migrant_workers": 2, "amount": "45000.00", "migrant_amount": "30000.00"}


# ------------------------------------------------------------------------------ recover


def test_a_payment_adds_to_the_totals_and_is_kept_with_its_event() -> None:
    effect = act("recover", **PAY, payment_ref="建行回单 0001")
    row = after(BASE, effect)
    assert (row.recovered_workers, row.recovered_migrant_workers) == (3, 2)
    assert (row.recovered_amount, row.recovered_migrant_amount) == (D("45000.00"), D("30000.00"))
    (payment,) = recorded_payments(row.extra)
    assert payment.event == BASE.version + 1  # the seq of the recover event
    assert payment.on == "2026-11-23"
    assert payment.payment_ref == "建行回单 0001"
    assert effect.payload["payment_ref"] == "建行回单 0001"


def test_the_same_payment_twice_is_refused_and_says_what_to_do() -> None:
    row = after(BASE, act("recover", workers=1, amount="1000.00"))
    message = refused("recover", row, workers=1, amount="1000.00")
    assert "the same payment was recorded already" in message
    assert "event 6 on 2026-11-23" in message
    assert "payment_ref=" in message
    assert "confirm=true" in message


def test_an_identical_instalment_with_its_own_ref_or_confirmed_is_recorded() -> None:
    row = after(BASE, act("recover", workers=1, amount="1000.00", payment_ref="A-1"))
    with_ref = after(row, act("recover", row, amount="1000.00", payment_ref="A-2", workers=1))
    assert with_ref.recovered_amount == D("2000.00")
    confirmed = act("recover", row, workers=1, amount="1000.00", confirm="true")
    assert confirmed.payload["confirmed_repeat_of"] == 6
    assert after(row, confirmed).recovered_amount == D("2000.00")


def test_a_payment_ref_recorded_already_is_refused_even_when_confirmed() -> None:
    row = after(BASE, act("recover", workers=1, amount="1000.00", payment_ref="回单〔2026〕7号"))
    message = refused(
        "recover", row, workers=0, amount="500.00", payment_ref="回单[2026]7号", confirm=True
    )
    assert "payment_ref 回单[2026]7号 was recorded already" in message
    assert "revoke_recover event=6" in message


def test_more_wages_than_owed_are_refused_naming_the_figures() -> None:
    row = after(BASE, act("recover", workers=2, migrant_workers=1, amount="40000.00"))
    message = refused("recover", row, workers=1, amount="6000.00")
    assert "the wages recovered would be 46000.00 yuan, more than the 45000.00 yuan owed" in message
    assert "(40000.00 recovered before)" in message
    assert "compensation=" in message
    assert "amend_arrears" in message
    assert message.endswith("Nothing was recorded")


def test_compensation_is_counted_apart_up_to_once_the_wages_owed() -> None:
    effect = act(
        "recover", **PAY, compensation="22500.00", migrant_compensation="15000.00"
    )  # 50% 赔偿金 (条例 第二十六条)
    row = after(BASE, effect)
    assert row.recovered_amount == D("45000.00")  # the column keeps the wages
    assert compensation_totals(row.extra) == (D("22500.00"), D("15000.00"))
    message = refused("recover", row, workers=0, compensation="22500.01")
    assert "the 赔偿金 would be 45000.01 yuan, more than the 45000.00 yuan owed" in message
    assert "第二十六条" in message


def test_workers_are_counted_once_over_instalments() -> None:
    row = after(BASE, act("recover", workers=3, migrant_workers=2, amount="20000.00"))
    message = refused("recover", row, workers=3, amount="20000.00", payment_ref="第二期")
    assert "6 workers would have been paid, more than the 3 workers of the case" in message
    assert "adds workers=0" in message
    second = after(row, act("recover", row, workers=0, amount="20000.00", payment_ref="第二期"))
    assert second.recovered_workers == 3
    assert second.recovered_amount == D("40000.00")


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"workers": 1}, "nothing recovered"),
        ({"workers": 1, "migrant_workers": 2, "amount": "10"}, "migrant_workers=2 is more than"),
        ({"amount": "10", "migrant_amount": "11"}, "migrant_amount=11.00 is more than amount"),
        ({"amount": "10.001"}, "at most 2 decimals"),
        ({"amount": "NaN"}, "must be an amount in yuan up to"),
        ({"amount": "1e30"}, "must be an amount in yuan up to"),
        ({"amount": 12.5}, "not a float"),
        ({"amount": "-5"}, ">= 0"),
        ({"amount": "5", "workers": "two"}, "workers must be a whole number"),
        ({"amount": "5", "workers": 10**12}, "more than the largest number"),
    ],
)
def test_bad_recover_params(params: dict[str, Any], fragment: str) -> None:
    assert fragment in refused("recover", **params)


def test_empty_params_mean_not_given() -> None:
    effect = act("recover", workers="", amount="100", compensation="")
    assert effect.values["recovered_workers"] == 0
    assert effect.payload["compensation"] == "0.00"


def test_revoking_a_payment_takes_its_figures_out_once() -> None:
    first = after(BASE, act("recover", workers=1, amount="1000.00", payment_ref="A"))
    both = after(first, act("recover", first, workers=1, amount="2000.00", payment_ref="B"))
    effect = act("revoke_recover", both, event="6")
    row = after(both, effect)
    assert (row.recovered_workers, row.recovered_amount) == (1, D("2000.00"))
    assert effect.payload["event"] == 6
    assert [p.revoked_by for p in recorded_payments(row.extra)] == [8, None]
    assert "was revoked already by event 8" in refused("revoke_recover", row, event=6)
    message = refused("revoke_recover", row, event=3)
    assert "event 3 is not a payment recorded on the case" in message
    assert "event 7 on 2026-11-23 (wages 2000.00 yuan to 1 workers, payment_ref B)" in message
    # the revoked payment no longer blocks recording it properly
    again = act("recover", row, workers=1, amount="1000.00", payment_ref="A")
    assert after(row, again).recovered_amount == D("3000.00")


# --------------------------------------------------------------------- amend_arrears


def test_verified_arrears_replace_the_complaints_and_make_room_for_the_payment() -> None:
    assert "more than the 45000.00 yuan owed" in refused("recover", workers=3, amount="52000")
    effect = act("amend_arrears", amount="52000.00", migrant_amount="35000")
    assert effect.payload == {
        "amount": {"from": "45000.00", "to": "52000.00"},
        "migrant_amount": {"from": "30000.00", "to": "35000.00"},
    }
    row = after(BASE, effect)
    assert after(row, act("recover", row, workers=3, amount="52000")).recovered_amount == D(
        "52000.00"
    )


def test_arrears_cannot_go_below_what_was_recovered_or_recorded() -> None:
    row = after(BASE, act("recover", workers=2, migrant_workers=2, amount="30000.00"))
    row = replace(row, contracted_migrant_workers=2)
    message = refused("amend_arrears", row, workers=1, migrant_workers=1, amount="20000")
    for fragment in (
        "2 workers were paid already",
        "2 migrant workers were paid already",
        "30000.00 yuan of wages were recovered already",
        "2 migrant workers have a labour contract on record",
        "the migrant workers' 30000.00 yuan is more than the 20000.00 yuan in all",
    ):
        assert fragment in message
    assert "give the figures verification found" in refused("amend_arrears")
    assert "nothing to change" in refused("amend_arrears", workers=3)


# ------------------------------------------------------------------ record_contracts


def test_contracts_are_recorded_and_corrected() -> None:
    effect = act("record_contracts", contracted_migrant_workers="2")
    assert effect.values == {"contracted_migrant_workers": 2}
    assert effect.payload == {"contracted_migrant_workers": 2, "previous": None}
    row = after(BASE, effect)
    assert act("record_contracts", row, contracted_migrant_workers=0).payload["previous"] == 2
    assert "parameter 'contracted_migrant_workers' is required" in refused("record_contracts")
    message = refused("record_contracts", contracted_migrant_workers=3)
    assert "3 migrant workers with a labour contract is more than the 2 migrant workers" in message


# ------------------------------------------------------- 责令改正 and the decisions, once each


def test_an_order_to_correct_counts_in_column_16_with_its_document() -> None:
    effect = act(
        "order_correct",
        doc_type="劳动保障监察限期改正指令书",
        doc_no="阳城劳监限改〔2026〕15号",
        matter="未与劳动者书面订立劳动合同",
        due="2026-12-04",
    )
    assert effect.values["orders_to_correct"] == 1
    assert effect.payload["due"] == "2026-12-04"
    row = after(BASE, effect)
    payment_order = act(
        "order_payment", row, within="5 workdays", doc_no="阳城劳监限改〔2026〕16号"
    )
    assert after(row, payment_order).orders_to_correct == 2  # every 责令改正, payment or not


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"doc_no": "X〔2026〕1号"}, "parameter 'doc_type' is required"),
        ({"doc_type": "限期改正指令书"}, "parameter 'doc_no' is required"),
        ({"doc_type": "行政处理决定书", "doc_no": "1"}, "record it with decide"),
        ({"doc_type": "行政处罚决定书", "doc_no": "1"}, "record it with penalize"),
        ({"doc_type": "限期改正指令书", "doc_no": "1", "due": "2026-11-01"}, "before the order"),
        ({"doc_type": "限期改正指令书", "doc_no": "1", "due": "next week"}, "YYYY-MM-DD"),
    ],
)
def test_bad_orders_to_correct(params: dict[str, Any], fragment: str) -> None:
    assert fragment in refused("order_correct", **params)


def test_an_order_to_pay_in_a_handling_decision_counts_as_that_decision() -> None:
    effect = act("order_payment", within="5 workdays", doc_type="劳动保障监察行政处理决定书")
    assert effect.values == {"handling_decisions": 1}  # column 17, not 16 (条例 第十八条)
    assert effect.limit_overrides  # and it still sets the period 法释〔2013〕3号 第四条 reads
    message = refused("order_payment", within="5 workdays", doc_type="行政处罚决定书")
    assert "penalize" in message


def test_one_document_number_is_counted_once_across_acts() -> None:
    row = after(BASE, act("order_payment", within="5 workdays", doc_no="阳劳监〔2026〕3号"))
    message = refused("order_correct", row, doc_type="限期改正指令书", doc_no="阳劳监 [2026] 3号")
    assert "文号 阳劳监 [2026] 3号 was recorded already on 2026-11-23" in message
    assert "责令限期支付" in message
    decided = after(row, act("decide", row, doc_no="阳劳监处〔2026〕1号"))
    assert decided.handling_decisions == 1
    assert "was recorded already" in refused("decide", decided, doc_no="阳劳监处〔2026〕1号")
    assert after(decided, act("penalize", decided)).penalty_decisions == 1  # no number: counted


def test_document_keys_ignore_bracket_shapes_and_spaces() -> None:
    assert document_key("阳劳监〔2026〕3号") == document_key(" 阳劳监[2026] 3号")
    assert document_key("阳劳监【2026】3号") == document_key("阳劳监［2026］3号")
    assert document_key("x-1") == document_key("X-1")
    assert document_key("阳劳监〔2026〕3号") != document_key("阳劳监〔2026〕13号")
