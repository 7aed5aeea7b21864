"""Typed request and response models of the HTTP service: the source of the OpenAPI document.

The responses are the CLI's JSON shapes (docs/cli.md, built by ``zhiqian.engine.cli.shapes``);
these models describe them for OpenAPI and for generated clients (Java, …), and the tests
validate every response the real server sends against them. Times are ISO 8601 with the pack's
offset, amounts decimal strings, durations whole seconds. Examples come from the demo.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ActRequest",
    "AllowedEvent",
    "BatchRequest",
    "BatchResponse",
    "BatchResult",
    "CaseDetail",
    "CaseList",
    "CaseSummary",
    "ComplaintIn",
    "ErrorResponse",
    "Explanation",
    "Health",
    "NoticeDetail",
    "NoticeItem",
    "OverduePage",
]

Amount = Field(pattern=r"^-?\d+(\.\d{1,2})?$", examples=["537918.15"])


class _Out(BaseModel):
    # Responses may gain keys (the CLI contract allows new keys): clients must ignore unknowns.
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------------- intake


class EmployerIn(_In):
    name: str = Field(description="用人单位名称", examples=["阳泉市平定建设集团有限公司"])
    uscc: str | None = Field(
        None,
        description="统一社会信用代码（18位，校验位）；不知道时为 null",
        examples=["91140302066907430C"],
    )
    category: Literal["construction", "manufacturing", "training", "other"] = Field(
        description="行业类别：construction 工程建设、manufacturing 加工制造、training 教育培训、other 其他"
    )


class ProjectIn(_In):
    name: str = Field(description="工程项目名称", examples=["桃河道路改造项目"])
    kind: Literal["government", "ppp", "soe"] = Field(
        description="项目类别：government 政府投资、ppp 政府和社会资本合作、soe 国有企业投资"
    )


class ComplainantIn(_In):
    name: str = Field(description="投诉人姓名（个人信息：默认脱敏显示）", examples=["马秀英"])
    phone: str = Field(description="联系电话：手机或带区号的固话", examples=["13514105718"])
    id_number: str | None = Field(
        None, description="公民身份号码（18位，校验位）；热线来电多不提供，可为 null"
    )


class ComplaintIn(_In):
    """一条欠薪投诉/线索（受理登记）。校验由引擎完成，所有问题一次列出（422 InvalidIntake）。"""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "ref": "12345-2026-000123",
                    "received_at": "2026-11-02T18:30:00+08:00",
                    "channel": "hotline_12345",
                    "region": "140302",
                    "employer": {
                        "name": "阳泉市平定建设集团有限公司",
                        "uscc": "91140302066907430C",
                        "category": "construction",
                    },
                    "project": {"name": "桃河道路改造项目", "kind": "soe"},
                    "workers": 37,
                    "migrant_workers": 4,
                    "amount": "537918.15",
                    "migrant_amount": "58153.31",
                    "complainant": {
                        "name": "马秀英",
                        "phone": "13514105718",
                        "id_number": "140302198203230233",
                    },
                    "flags": ["collective"],
                    "summary": "37名工人被拖欠工资共计537918.15元。",
                }
            ]
        },
    )

    ref: str = Field(description="来源系统的编号（如12345工单号、线索编号），≤64字符，唯一")
    received_at: str = Field(
        description="接到投诉的时间，ISO 8601 且必须带时区偏移，不晚于现在",
        examples=["2026-11-02T18:30:00+08:00"],
    )
    channel: Literal[
        "platform",
        "hotline_12333",
        "hotline_12345",
        "visit",
        "letter",
        "transferred",
        "inspection",
    ] = Field(description="反映渠道：平台、12333、12345、来访、来信、转办、巡查")
    region: str = Field(
        description="欠薪发生地的6位行政区划代码（须在令牌的辖区内）", examples=["140302"]
    )
    employer: EmployerIn = Field(description="用人单位")
    project: ProjectIn | None = Field(None, description="工程项目；非项目欠薪为 null")
    workers: int = Field(description="涉及人数（≥1）", examples=[37])
    migrant_workers: int = Field(description="其中农民工人数", examples=[4])
    contracted_migrant_workers: int | None = Field(
        None,
        description="其中签订劳动合同的农民工人数（附件2第4栏）；不知道时省略或为 null，不要填0",
        examples=[3],
    )
    amount: str | int = Field(
        description="欠薪金额（元），十进制字符串，至多两位小数", examples=["537918.15"]
    )
    migrant_amount: str | int = Field(description="其中农民工欠薪金额（元）", examples=["58153.31"])
    largest_owed: str | int | None = Field(
        None,
        description=(
            "单个劳动者被拖欠的最高数额（元）；未知可省略或为 null（核实中用 record_arrears 补录）。"
            "法释〔2013〕3号 第三条第一项（一名劳动者）据此判断"
        ),
        examples=["16000.00"],
    )
    largest_owed_months: int | None = Field(
        None,
        description="该劳动者被拖欠劳动报酬的月数（≥1）；未知可省略或为 null",
        examples=[4],
    )
    complainant: ComplainantIn = Field(description="投诉人")
    flags: list[
        Literal[
            "collective",
            "malicious",
            "absconded",
            "sensitive",
            "arrears_3_months",
            "extreme",
            "cannot_pay",
            "old_case",
            "serious_impact",
        ]
    ] = Field(
        default_factory=list,
        description=(
            "标记：collective 群体性、malicious 恶意欠薪、absconded 逃匿、sensitive 敏感、"
            "arrears_3_months 拖欠三个月以上、extreme 极端事件、cannot_pay 一时难以支付、"
            "old_case 陈案、serious_impact 造成严重不良社会影响"
        ),
    )
    summary: str = Field(description="案情摘要")


class BatchRequest(_In):
    records: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=1000,
        description="投诉记录（每条同 ComplaintIn），逐条受理：一条被拒不影响其他各条",
        # Documented as complaints, read as plain objects: one bad record must not refuse the
        # whole batch at the door, the engine judges each one.
        json_schema_extra={"items": {"$ref": "#/components/schemas/ComplaintIn"}},
    )


class BatchResult(_Out):
    record: int = Field(description="记录序号（从0起）")
    ref: str | None = Field(description="外部编号")
    status: Literal["accepted", "rejected", "duplicate"] = Field(
        description="accepted 已受理、rejected 校验未通过、duplicate 编号已存在"
    )
    id: int | None = Field(description="新案件ID（已受理时）")
    error: dict[str, Any] | None = Field(
        None, description="未受理的原因：与错误响应中的 error 对象同形（type, message, problems）"
    )


class BatchResponse(_Out):
    results: list[BatchResult]
    accepted: int = Field(description="已受理件数")
    rejected: int = Field(description="未受理件数（含重复）")


# --------------------------------------------------------------------------------- cases


class Pack(_Out):
    name: str = Field(examples=["national"])
    version: str = Field(examples=["2026.1"])


class Employer(_Out):
    name: str
    uscc: str | None
    category: str


class Project(_Out):
    name: str | None
    kind: str | None


class Complainant(_Out):
    name: str | None = Field(description="姓名；无权限时脱敏（王*）")
    phone: str | None = Field(description="电话；无权限时脱敏（138****5678）")
    id_number: str | None = Field(description="身份证号；无权限时脱敏（140302********1449）")


class Clock(_Out):
    id: str = Field(examples=["acceptance"])
    label: str = Field(examples=["受理时限（接到投诉之日起5个工作日内依法受理）"])
    status: str = Field(
        description="running 计时中、warned 已预警、breached 已超期、paused 中止、stopped 已停止"
    )
    deadline: datetime | None = Field(description="期限届满时刻（按法定工作日历）")
    remaining: int | None = Field(description="距期限的秒数，超期为负；已结束或中止时为 null")
    basis: str = Field(description="法律依据")
    started_at: datetime | None
    assumed: bool = Field(description="期限是否依赖尚未公布的调休安排（推定）")
    trace: list[str] = Field(description="期限的推算过程")


class Escalation(_Out):
    rule: str | None = Field(description="升级规则ID", examples=["supervise_major"])
    actions: list[Any] = Field(description="采取的措施及结果")
    at: datetime | str | None


class Event(_Out):
    seq: int
    event: str = Field(examples=["verify"])
    label: str = Field(examples=["核实"])
    from_: str | None = Field(alias="from", description="事件前状态")
    to: str = Field(description="事件后状态")
    at: datetime
    actor: str = Field(description="操作人：经由 HTTP 时为令牌持有人")
    reason: str | None
    rule: str | None = Field(description="规则触发时为规则ID，人工操作为 null")


class CaseDetail(_Out):
    """一件案件：基本信息、各时限、升级记录、时间线（与 `zhiqian case show --format json` 相同）。"""

    id: int = Field(examples=[1])
    ref: str = Field(examples=["12345-2026-000123"])
    state: str = Field(examples=["accepted"])
    state_label: str = Field(examples=["受理"])
    version: int = Field(description="版本号：每次变更加一；即 ETag，If-Match 用它")
    level: str = Field(description="办理层级 county / city / province")
    region: str = Field(description="当前承办地区划代码（提级办理后上移）")
    origin_region: str = Field(description="欠薪发生地区划代码")
    leader: str | None = Field(description="包案领导")
    supervised_by: str | None = Field(description="挂牌督办单位")
    police_referred_at: datetime | None = Field(description="移送公安时间")
    flags: list[str]
    channel: str
    received_at: datetime
    closed_at: datetime | None
    pack: Pack
    employer: Employer
    project: Project | None
    workers: int
    migrant_workers: int
    amount: str = Amount
    migrant_amount: str = Amount
    complainant: Complainant
    pii_shown: bool = Field(description="个人信息是否未脱敏（已记入案件的防篡改日志）")
    summary: str
    clocks: list[Clock]
    escalations: list[Escalation]
    events: list[Event]


class CaseSummary(_Out):
    id: int
    ref: str
    state: str
    state_label: str
    level: str
    region: str
    employer: str
    category: str
    workers: int
    migrant_workers: int
    amount: str = Amount
    received_at: datetime
    leader: str | None
    flags: list[str]


class CaseList(_Out):
    items: list[CaseSummary] = Field(description="案件（不含个人信息）")
    total: int
    offset: int
    limit: int
    has_more: bool


class ActRequest(_In):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"event": "verify", "reason": "材料齐全"},
                {"event": "assign_leader", "params": {"leader": "张局长", "role": "分管领导"}},
            ]
        },
    )

    event: str = Field(
        min_length=1,
        max_length=64,
        description="生命周期事件（verify 核实、handle 处理、close 结案…）或办理中的措施（file 立案、order_payment 责令支付…）",
    )
    reason: str | None = Field(None, max_length=2000, description="理由（记入日志）")
    params: dict[str, str] | None = Field(
        None, description="措施参数，同 CLI 的 --param KEY=VALUE（如 leader=张局长）"
    )
    expected_version: int | None = Field(
        None, description="也可用 If-Match 头：案件已不在此版本时 412（If-Match）或 409（本字段）"
    )


class AllowedEvent(_Out):
    event: str = Field(examples=["verify"])
    label: str = Field(examples=["核实"])


# --------------------------------------------------------------------------------- time limits


class OverdueItem(_Out):
    case: int
    ref: str
    clock: str
    clock_label: str
    deadline: datetime
    overdue_by: int = Field(description="超期秒数；within 列出的未到期时限为负")
    workdays_left: int | None
    assumed: bool
    level: str
    region: str
    state: str


class OverduePage(_Out):
    items: list[OverdueItem] = Field(description="超期（及 within 内将到期）的时限，超期最久者在前")
    offset: int
    limit: int
    has_more: bool


class ExplainClock(_Out):
    id: str
    label: str
    applies: bool
    status: str
    deadline: datetime | None
    workdays_left: int | None
    assumed: bool
    limit: str
    basis: str
    source: str = Field(description="规则所在 file:line")
    starts_on: str
    trace: list[str]
    extensions: list[dict[str, Any]]


class ExplainEscalation(_Out):
    id: str
    label: str
    when: str
    holds_now: bool
    fired: bool
    actions: list[str]
    basis: str
    source: str
    in_force: str | None = Field(None, description="规则施行期间（如“2022-01-01 起”）；null 为不限")
    out_of_force: str | None = Field(
        None, description="当日不适用的原因（如“规则 未施行（2022-01-01 起）”）；null 为适用"
    )


class Explanation(_Out):
    """哪些时限与升级规则适用于本案，以及原因（同 `zhiqian rules explain --format json`）。"""

    case: int
    ref: str
    pack: str
    at: datetime
    calendar_coverage: str
    clocks: list[ExplainClock]
    escalations: list[ExplainEscalation]


# --------------------------------------------------------------------------------- notices


class NoticeItem(_Out):
    id: int
    case: int | None
    template: str = Field(examples=["超期预警"])
    channel: str = Field(examples=["email"])
    recipient: str = Field(examples=["handler@140302"])
    status: str = Field(description="held、digested、pending、sending、sent、dead")
    attempts: int


class NoticeDetail(NoticeItem):
    ref: str
    rule: str
    recipient_name: str
    address: str
    subject: str
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    text: str | None = Field(description="文书正文")


# --------------------------------------------------------------------------------- misc


class Health(_Out):
    status: Literal["ok"]
    version: str
    schema_revision: str = Field(description="数据库迁移版本")


class ErrorBody(_Out):
    type: str = Field(description="错误类别，如 TransitionRefused、InvalidIntake、CaseNotFound")
    message: str = Field(description="可直接展示给经办人的说明")
    problems: list[dict[str, Any]] = Field(
        description="逐项问题：{record, field, value, problem}（受理）、{file, line, message}（规则包）"
    )


class ErrorResponse(_Out):
    """所有错误响应的形状（与 CLI 的 --format json 错误相同）；不含堆栈。"""

    error: ErrorBody
