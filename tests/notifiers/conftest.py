"""Real servers on loopback for the channel tests, and notices with realistic contexts.

- ``http_server``: a ``ThreadingHTTPServer`` on 127.0.0.1:<ephemeral> in a thread. Tests script
  its answers (``server.script(500, 200)``); every request it receives lands in a queue that tests
  read with a bounded wait.
- ``smtp_server``: an aiosmtpd ``Controller`` on 127.0.0.1 that records each message and can be
  told to answer RCPT or DATA with a given reply.
- ``closed_port``: a port nothing listens on.
"""

from __future__ import annotations

import asyncio
import copy
import json
import queue
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from zhiqian.notifiers import Notice, RenderedNotice, template_label

WAIT = 5.0  # seconds: the bound on every wait for a server to receive something

NOW = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)

PHONE = "13812345678"
ID_NUMBER = "110101199003071234"
COMPLAINANT = "张三丰"

COMMON: dict[str, Any] = {
    "employer_name": "山西某建筑工程有限公司",
    "complainant_name": COMPLAINANT,
    "complainant_phone": PHONE,
    "complainant_id_number": ID_NUMBER,
}

CONTEXTS: dict[str, dict[str, Any]] = {
    "超期预警": {
        **COMMON,
        "office_name": "太原市迎泽区人力资源和社会保障局",
        "clock_label": "调查处理时限",
        "deadline": "2026-03-10",
        "days_left": -3,
        "basis": "《劳动保障监察条例》第十七条",
        "issued_on": "2026-03-02",
        "handler_name": "李四",
    },
    "催办提醒": {
        **COMMON,
        "office_name": "太原市迎泽区人力资源和社会保障局",
        "kind": "report",
        "matter": "次日报告案件处理解决进展",
        "due": "2026-03-03",
        "issued_on": "2026-03-02",
    },
    "挂牌督办通知书": {
        **COMMON,
        "supervising_office": "太原市人力资源和社会保障局",
        "supervised_office": "太原市迎泽区人力资源和社会保障局",
        "workers_involved": 35,
        "amount_owed": "1234567.50",
        "reason": "该案涉及人数众多且久拖未结",
        "basis": "《保障农民工工资支付条例》第十条",
        "decided_on": "2026-02-27",
        "report_due": "2026-03-05",
        "issued_on": "2026-03-02",
        "leader_name": "王五",
    },
    "提级办理通知书": {
        **COMMON,
        "office_name": "太原市人力资源和社会保障局",
        "from_office_name": "太原市迎泽区人力资源和社会保障局",
        "to_division_name": "太原市",
        "workers_involved": 35,
        "amount_owed": "1234567.50",
        "reason": "该案超过调查处理时限仍未办结",
        "basis": "《劳动保障监察条例》第十三条第二款",
        "decided_on": "2026-02-27",
        "issued_on": "2026-03-02",
    },
    "领导包案通知": {
        **COMMON,
        "office_name": "太原市迎泽区人力资源和社会保障局",
        "leader_name": "王五",
        "leader_title": "分管领导",
        "decided_by": "局长刘六",
        "workers_involved": 35,
        "amount_owed": "1234567.50",
        "reason": "重大欠薪案件",
        "basis": "云治欠明电〔2021〕3号 二（二）",
        "decided_on": "2026-02-27",
        "issued_on": "2026-03-02",
        "handler_name": "李四",
    },
    "垫付建议": {
        **COMMON,
        "office_name": "太原市迎泽区人力资源和社会保障局",
        "workers_involved": 12,
        "migrant_workers": 11,
        "amount_owed": "320000.00",
        "advice": "动用应急周转金先行垫付部分工资或基本生活费（须依法追偿）",
        "reason": "欠薪逃匿",
        "basis": "《保障农民工工资支付条例》第六十三条",
        "issued_on": "2026-03-02",
    },
    "移送审批表": {
        **COMMON,
        "office_name": "太原市迎泽区人力资源和社会保障局",
        "workers_involved": 12,
        "migrant_workers": 11,
        "amount_owed": "320000.00",
        "screening": "涉嫌拒不支付劳动报酬罪筛查（移送公安）",
        "basis": "《刑法》第二百七十六条之一；法释〔2013〕3号 第三条、第四条",
        "police_office": "太原市公安局迎泽分局",
        "proposed_on": "2026-02-25",
        "proposed_by": "监察员李四",
        "decision_due": "2026-02-28",
        "issued_on": "2026-02-25",
        "order_doc_type": "劳动保障监察限期整改指令书",
        "order_no": "迎人社监令〔2026〕12号",
        "order_served_on": "2026-01-05",
        "order_due_date": "2026-01-15",
        "amount_unpaid": "320000.00",
    },
    "提请决定审批表": {
        **COMMON,
        "office_name": "太原市迎泽区人力资源和社会保障局",
        "decider_name": "太原市人力资源和社会保障局",
        "act_label": "挂牌督办",
        "proposal": "提请太原市人力资源和社会保障局对该案挂牌督办",
        "workers_involved": 120,
        "amount_owed": "1234567.50",
        "reason": "涉及劳动者100人以上",
        "basis": "《劳动保障监察条例》第十三条第二款",
        "proposed_on": "2026-02-25",
        "proposed_by": "监察员李四",
        "decision_due": "2026-03-04",
        "issued_on": "2026-02-25",
    },
    "涉嫌犯罪案件移送书": {
        **COMMON,
        "office_name": "太原市迎泽区人力资源和社会保障局",
        "document_no": "迎泽人社移〔2026〕3号",
        "police_office": "太原市公安局迎泽分局",
        "employer_uscc": "91140100MA0K1234X5",
        "workers_involved": 12,
        "migrant_workers": 11,
        "amount_owed": "320000.00",
        "order_doc_type": "劳动保障监察限期整改指令书",
        "order_no": "迎人社监令〔2026〕12号",
        "order_served_on": "2026-01-05",
        "order_service_method": "张贴送达",
        "order_due_date": "2026-01-15",
        "amount_unpaid": "320000.00",
        "approver": "局长刘六",
        "approved_on": "2026-02-27",
        "issued_on": "2026-02-28",
    },
    "每日台账摘要": {
        "office_name": "太原市迎泽区人力资源和社会保障局",
        "recipient_name": "李四",
        "digest_date": "2026-03-02",
        "cases": [
            {
                "case_ref": "YZ-2026-0001",
                "employer_name": "山西某建筑工程有限公司",
                "clock_label": "调查处理时限",
                "deadline": "2026-03-10",
                "days_left": 6,
                # what a careless engine might pass along: must never be printed
                "complainant_phone": PHONE,
                "complainant_id_number": ID_NUMBER,
            },
            {
                "case_ref": "YZ-2026-0002",
                "employer_name": "太原某某餐饮管理有限公司第一分公司",
                "clock_label": "受理时限",
                "deadline": "2026-02-27",
                "days_left": -1,
            },
            {
                "case_ref": "YZ-2026-0003",
                "employer_name": "某培训学校",
                "clock_label": "移送决定时限",
                "deadline": "2026-03-02",
                "days_left": 0,
                "day_unit": "日",
            },
        ],
        "complainant_phone": PHONE,
    },
}


def make_notice(
    template: str = "超期预警",
    *,
    id: int | None = 41,
    key: str = "zq1:7:overdue.investigation:1:handler:smtp",
    address: str = "handler@rsj.example.gov.cn",
    channel: str = "smtp",
    context: dict[str, Any] | None = None,
    subject: str = "",
    case_ref: str = "YZ-2026-0001",
) -> Notice:
    return Notice(
        id=id,
        case_id=7,
        case_ref=case_ref,
        template=template,  # type: ignore[arg-type]
        channel=channel,
        recipient="handler",
        address=address,
        subject=subject,
        context=CONTEXTS[template_label(template)] if context is None else context,
        idempotency_key=key,
        created_at=NOW,
    )


RENDERED = RenderedNotice(
    subject="【超期预警】YZ-2026-0001 调查处理时限已超期3个工作日",
    text="太原市迎泽区人力资源和社会保障局\n超期预警\n\n案件编号：YZ-2026-0001\n",
    html="<p>超期预警 &lt;YZ-2026-0001&gt;</p>",
)


# --- HTTP ------------------------------------------------------------------------------------


@dataclass
class HttpRequestSeen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpRecorder:
    server: ThreadingHTTPServer
    received: queue.Queue[HttpRequestSeen] = field(default_factory=queue.Queue)
    answers: deque[tuple[int, dict[str, str], bytes]] = field(default_factory=deque)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/hook"

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def script(self, *statuses: int | tuple[int, dict[str, str], bytes]) -> None:
        for status in statuses:
            self.answers.append(status if isinstance(status, tuple) else (status, {}, b""))

    def next_request(self) -> HttpRequestSeen:
        return self.received.get(timeout=WAIT)

    def assert_no_more(self) -> None:
        assert self.received.empty(), "the server received more requests than expected"


@pytest.fixture
def http_server() -> Iterator[HttpRecorder]:
    recorder: HttpRecorder

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            recorder.received.put(
                HttpRequestSeen("POST", self.path, {k: v for k, v in self.headers.items()}, body)
            )
            status, headers, payload = (
                recorder.answers.popleft() if recorder.answers else (200, {}, b"")
            )
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    recorder = HttpRecorder(server)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="test-http", daemon=True
    )
    thread.start()
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=WAIT)


@pytest.fixture
def closed_port() -> int:
    """A loopback port with nothing listening (bound once, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections (the kernel completes the handshake) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


# --- SMTP ------------------------------------------------------------------------------------


@dataclass
class MailSeen:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes


class RecordingHandler:
    def __init__(self) -> None:
        self.received: queue.Queue[MailSeen] = queue.Queue()
        self.rcpt_replies: deque[str] = deque()
        self.data_replies: deque[str] = deque()

    async def handle_RCPT(  # noqa: N802 - aiosmtpd hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.rcpt_replies:
            return self.rcpt_replies.popleft()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.data_replies:
            return self.data_replies.popleft()
        self.received.put(MailSeen(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@dataclass
class SmtpRecorder:
    controller: Controller
    handler: RecordingHandler
    port: int

    def next_mail(self) -> MailSeen:
        return self.handler.received.get(timeout=WAIT)


def _free_port() -> int:
    # aiosmtpd's Controller checks readiness by connecting to the configured port, so it cannot
    # be given port 0; take a free port from the kernel instead.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def start_smtp() -> Iterator[Callable[..., SmtpRecorder]]:
    started: list[Controller] = []

    def start(**kwargs: Any) -> SmtpRecorder:
        handler = RecordingHandler()
        port = _free_port()
        controller = Controller(
            handler, hostname="127.0.0.1", port=port, loop=asyncio.new_event_loop(), **kwargs
        )
        controller.start()
        started.append(controller)
        return SmtpRecorder(controller, handler, port)

    yield start
    for controller in started:
        controller.stop()
        controller.loop.close()


@pytest.fixture
def smtp_server(start_smtp: Callable[..., SmtpRecorder]) -> SmtpRecorder:
    return start_smtp()


# --- shared values (test modules cannot import this conftest under --import-mode=importlib) --


@pytest.fixture
def kit() -> SimpleNamespace:
    return SimpleNamespace(
        make_notice=make_notice,
        contexts=copy.deepcopy(CONTEXTS),
        rendered=RENDERED,
        now=NOW,
        phone=PHONE,
        id_number=ID_NUMBER,
        complainant=COMPLAINANT,
        wait=WAIT,
    )
