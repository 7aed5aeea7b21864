"""The HTTP service: a FastAPI app over one ``zhiqian.Engine`` and nothing else.

No logic of its own: every route authenticates, checks the token's scope and role, calls one
public method of the engine and answers with the CLI's JSON shape (``zhiqian.engine.cli.shapes``).
Routes are plain functions (``def``): FastAPI runs them in its thread pool, and the engine is
safe to share between threads. ``create_app(None)`` builds the same routes without an engine,
for the OpenAPI document (docs/openapi.json).
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import Body, Depends, FastAPI, Header, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from zhiqian import CaseNotFound, DuplicateCase, FieldProblem, InvalidIntake, Refused
from zhiqian.engine.cli.output import to_jsonable
from zhiqian.engine.cli.shapes import (
    case_detail,
    case_summary,
    explanation_shape,
    notice_detail,
    notice_shape,
    overdue_shape,
)
from zhiqian.engine.http import models
from zhiqian.engine.http.auth import Principal, authenticate, narrowest
from zhiqian.engine.http.errors import (
    BadRequest,
    NoticeNotFound,
    PreconditionFailed,
    RequestInvalid,
    error_body,
    internal_error_body,
    status_for,
)
from zhiqian.engine.http.idempotency import Reply, check_key, fingerprint, run_post
from zhiqian.engine.http.reports import MEDIA, ReportFormat, campaign_file, ledger_file
from zhiqian.errors import ZhiqianError

if TYPE_CHECKING:
    from zhiqian import CaseView, Engine

__all__ = ["API_VERSION", "app_from_env", "create_app"]

API_VERSION = "1"
LEVELS = Literal["county", "city", "province"]
NOTICE_STATUSES = Literal["waiting", "held", "digested", "pending", "sending", "sent", "dead"]
REGION = r"^\d{6}$"
# Ids are 32-bit INTEGER columns: PostgreSQL refuses a larger number as a DataError.
MAX_ID = 2**31 - 1
log = logging.getLogger("zhiqian.http")

_bearer = HTTPBearer(auto_error=False, description="zhiqian token create 生成的令牌（仅显示一次）")
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": models.ErrorResponse, "description": text}
    for code, text in {
        400: "请求无法解析",
        401: "缺少令牌或令牌无效、已吊销",
        403: "令牌的角色无权执行此操作",
        404: "案件不存在或不在令牌辖区内（不区分两者，以免泄露编号）",
        409: "状态不允许（TransitionRefused）、并发冲突（ConflictError）或编号重复（DuplicateCase）",
        412: "If-Match 的版本已过期：请重新读取案件",
        422: "请求内容有误（InvalidIntake、RequestInvalid、IdempotencyKeyReused）",
    }.items()
}
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="重试安全：同一键、同一请求返回首次结果；同一键、不同请求 422",
        max_length=255,
    ),
]


# --------------------------------------------------------------------------------- plumbing


def _engine(request: Request) -> Engine:
    engine: Engine | None = request.app.state.engine
    if engine is None:  # pragma: no cover - only the OpenAPI builder has no engine
        raise RuntimeError("this app was built without an engine (OpenAPI only)")
    return engine


def _principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    header = None if credentials is None else f"{credentials.scheme} {credentials.credentials}"
    return authenticate(_engine(request).bind, header)


EngineDep = Annotated["Engine", Depends(_engine)]
PrincipalDep = Annotated[Principal, Depends(_principal)]


def _tz(engine: Engine) -> tzinfo:
    return engine.pack.timezone


def _now(engine: Engine) -> datetime:
    return engine.clock.now().astimezone(UTC)


def _etag(version: int) -> str:
    return f'"{version}"'


def _case_headers(body: Any) -> dict[str, str]:
    if isinstance(body, Mapping) and isinstance(body.get("version"), int):
        return {"ETag": _etag(body["version"])}
    return {}


def _send(reply: Reply) -> JSONResponse:
    return JSONResponse(
        to_jsonable(reply.body), status_code=reply.status, headers=dict(reply.headers)
    )


def _visible(engine: Engine, who: Principal, case_id: int, *, history: bool = True) -> CaseView:
    """The case if the token's division covers it; otherwise the same 404 as no case at all."""
    case = engine.get(case_id, history=history)
    if not who.sees(case.handling_region, case.region):
        raise CaseNotFound(case_id)
    return case


def _detail(engine: Engine, case: CaseView, *, show_pii: bool = False) -> dict[str, Any]:
    return case_detail(case, now=_now(engine), tz=_tz(engine), show_pii=show_pii)


async def _fingerprint(request: Request) -> str:
    body = await request.body()
    return fingerprint(request.method, request.url.path, body, request.headers.get("if-match"))


FingerprintDep = Annotated[str, Depends(_fingerprint)]


def _if_match(value: str | None, case: CaseView) -> int | None:
    """The version an ``If-Match`` names (``"3"``, ``W/"3"``, ``3``); ``*`` or none: None."""
    if value is None or value.strip() == "*":
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not text.isdigit() or int(text) != case.version:
        raise PreconditionFailed(case=case.id, expected=value.strip()[:40], current=case.version)
    return int(text)


def _out_of_division(who: Principal, record: Mapping[str, Any], index: int | None) -> None:
    region = record.get("region")
    if isinstance(region, str) and len(region) == 6 and region.isdigit() and not who.sees(region):
        raise InvalidIntake(
            [
                FieldProblem(
                    "region", region, f"is outside this token's division {who.office}: not yours"
                )
            ],
            record=index,
        )


# --------------------------------------------------------------------------------- the app


def create_app(engine: Engine | None) -> FastAPI:
    """The service over ``engine`` (the caller keeps ownership and closes it)."""
    app = FastAPI(
        title="zhiqian 治欠 HTTP API",
        version=API_VERSION,
        description=(
            "欠薪案件工作流引擎的 HTTP 接口：受理、办理、时限、通知。与命令行 `zhiqian` 的 JSON "
            "形状相同（docs/cli.md）。时间为带时区偏移的 ISO 8601，金额为十进制字符串。"
            "每个写操作记录令牌持有人为操作人；POST 接受 Idempotency-Key。"
        ),
        openapi_tags=[
            {"name": "受理", "description": "受理登记（单件与批量）"},
            {"name": "案件", "description": "案件、时限、时间线与办理"},
            {"name": "时限", "description": "超期与将到期的时限"},
            {"name": "通知", "description": "通知发件箱"},
            {"name": "报表", "description": "附件2 与案件台账（XLSX、CSV、HTML）"},
            {"name": "运行", "description": "健康检查"},
        ],
    )
    app.state.engine = engine
    _install_errors(app)
    _routes(app)
    return app


def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(ZhiqianError)
    async def _ours(request: Request, exc: ZhiqianError) -> JSONResponse:
        status = status_for(exc)
        if status >= 500:
            log.error("request %s %s failed: %s", request.method, request.url.path, exc)
        return JSONResponse(error_body(exc), status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def _routing(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # No route (404), a method the route does not take (405): still our shape.
        kind = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.status_code, "HTTPError")
        body = {"error": {"type": kind, "message": str(exc.detail), "problems": []}}
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for error in exc.errors():
            if error.get("type") == "json_invalid":
                bad = BadRequest(f"the body is not valid JSON: {error.get('msg', '')}")
                return JSONResponse(error_body(bad), status_code=400)
            loc = [str(p) for p in error.get("loc", ())]
            where = loc[0] if loc else ""
            path = ".".join(loc[1:]) if where in {"body", "query", "path", "header"} else ""
            problems.append(
                FieldProblem(path or where or "<request>", error.get("input"), str(error["msg"]))
            )
        invalid = RequestInvalid(problems)
        return JSONResponse(error_body(invalid), status_code=422)

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        store = _database_error(exc)
        if store is not None:
            return JSONResponse(error_body(store), status_code=503)
        log.exception("request %s %s failed", request.method, request.url.path)
        return JSONResponse(internal_error_body(), status_code=500)


def _database_error(exc: Exception) -> ZhiqianError | None:
    import sqlalchemy.exc as sa_exc

    if not isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        return None
    from zhiqian import StoreError

    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return StoreError(f"the database cannot be used: {detail}")


def _routes(app: FastAPI) -> None:
    # ------------------------------------------------------------------ health

    @app.get("/health", tags=["运行"], response_model=models.Health, summary="健康检查")
    def health(engine: EngineDep) -> JSONResponse:
        """No token needed: the service answers and its database is at a known revision."""
        from zhiqian import __version__
        from zhiqian.store.database import current_revision

        revision = current_revision(engine.bind) or ""
        return JSONResponse({"status": "ok", "version": __version__, "schema_revision": revision})

    # ------------------------------------------------------------------ intake

    @app.post(
        "/v1/cases",
        tags=["受理"],
        status_code=201,
        response_model=models.CaseDetail,
        responses=_ERRORS,
        summary="受理一件投诉",
    )
    def receive(
        record: models.ComplaintIn,
        engine: EngineDep,
        who: PrincipalDep,
        print_: FingerprintDep,
        key: IdempotencyKey = None,
    ) -> JSONResponse:
        """Validate a complaint and open its case (受理登记). The region must lie in the token's
        division. 422 names every invalid field at once; 409 when the ref exists already."""
        who.require_writer("receive complaints")
        data = record.model_dump(mode="json", exclude_unset=True)
        _out_of_division(who, data, None)

        def work(eng: Engine) -> Reply:
            case = eng.receive(data, actor=who.actor)
            body = _detail(eng, case)
            return Reply(201, body, {**_case_headers(body), "Location": f"/v1/cases/{case.id}"})

        return _send(run_post(engine, who, check_key(key), print_, work, _case_headers))

    @app.post(
        "/v1/cases/batch",
        tags=["受理"],
        response_model=models.BatchResponse,
        responses=_ERRORS,
        summary="批量受理",
    )
    def receive_many(
        batch: Annotated[
            models.BatchRequest,
            Body(
                openapi_examples={
                    "两条，一条有误": {
                        "value": {"records": [{"ref": "12345-2026-000124", "workers": -3}]}
                    }
                }
            ),
        ],
        engine: EngineDep,
        who: PrincipalDep,
        print_: FingerprintDep,
        key: IdempotencyKey = None,
    ) -> JSONResponse:
        """Each record is received on its own (as ``receive_many``): the good ones are written
        even when others are rejected; ``results`` says what happened to each, in order."""
        who.require_writer("receive complaints")
        records = batch.records

        def work(eng: Engine) -> Reply:
            results: list[Any] = [None] * len(records)
            inside: list[int] = []
            for index, record in enumerate(records):
                try:
                    _out_of_division(who, record, index)
                    inside.append(index)
                except InvalidIntake as exc:
                    results[index] = exc
            received = eng.receive_many([records[i] for i in inside], actor=who.actor)
            for index, result in zip(inside, received, strict=True):
                if isinstance(result, InvalidIntake):
                    result = InvalidIntake(result.problems, record=index)
                results[index] = result
            rows = [_batch_row(i, records[i], r) for i, r in enumerate(results)]
            accepted = sum(1 for r in rows if r["status"] == "accepted")
            return Reply(
                200, {"results": rows, "accepted": accepted, "rejected": len(rows) - accepted}
            )

        return _send(run_post(engine, who, check_key(key), print_, work))

    # ------------------------------------------------------------------ cases

    @app.get(
        "/v1/cases",
        tags=["案件"],
        response_model=models.CaseList,
        responses=_ERRORS,
        summary="案件列表",
    )
    def cases(
        engine: EngineDep,
        who: PrincipalDep,
        state: Annotated[str | None, Query(max_length=32, description="状态")] = None,
        region: Annotated[
            str | None, Query(pattern=REGION, description="承办地区划代码（含下级）")
        ] = None,
        level: Annotated[LEVELS | None, Query(description="办理层级")] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
        offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    ) -> JSONResponse:
        """Cases handled in the token's division (or the asked part of it), by id; no personal data."""
        scope = narrowest(who.office, region)
        if scope is None:
            return JSONResponse(
                {"items": [], "total": 0, "offset": offset, "limit": limit, "has_more": False}
            )
        page = engine.query(state=state, region=scope, level=level, limit=limit, offset=offset)
        tz = _tz(engine)
        return _send(
            Reply(
                200,
                {
                    "items": [case_summary(c, tz) for c in page.items],
                    "total": page.total,
                    "offset": page.offset,
                    "limit": page.limit,
                    "has_more": page.has_more,
                },
            )
        )

    @app.get(
        "/v1/cases/by-ref/{ref}",
        tags=["案件"],
        response_model=models.CaseDetail,
        responses=_ERRORS,
        summary="按外部编号查看案件",
    )
    def case_by_ref(
        ref: Annotated[str, Path(max_length=64)],
        engine: EngineDep,
        who: PrincipalDep,
    ) -> JSONResponse:
        """The case with this external reference (e.g. the 12345 work-order number), masked."""
        try:
            found = engine.get_by_ref(ref, history=False)
        except CaseNotFound:
            raise CaseNotFound(ref) from None
        if not who.sees(found.handling_region, found.region):
            raise CaseNotFound(ref)
        case = engine.get(found.id)
        return _send(Reply(200, _detail(engine, case), {"ETag": _etag(case.version)}))

    @app.get(
        "/v1/cases/{case_id}",
        tags=["案件"],
        response_model=models.CaseDetail,
        responses=_ERRORS,
        summary="查看案件",
    )
    def case(
        case_id: Annotated[int, Path(ge=1, le=MAX_ID)],
        engine: EngineDep,
        who: PrincipalDep,
        show_pii: Annotated[
            bool, Query(description="显示投诉人完整信息：需相应角色，并先记入案件日志")
        ] = False,
    ) -> JSONResponse:
        """The record, its clocks (deadline, remaining, trace), escalations and timeline.
        ``ETag`` is the case's version: send it back as ``If-Match`` when acting."""
        view = _visible(engine, who, case_id)
        if show_pii:
            who.require_pii()
            engine.record_access(case_id, actor=who.actor, what="complainant")
            view = engine.get(case_id)
        body = _detail(engine, view, show_pii=show_pii)
        return _send(Reply(200, body, {"ETag": _etag(view.version)}))

    @app.post(
        "/v1/cases/{case_id}/events",
        tags=["案件"],
        response_model=models.CaseDetail,
        responses=_ERRORS,
        summary="办理：触发事件或记录措施",
    )
    def act(
        case_id: Annotated[int, Path(ge=1, le=MAX_ID)],
        action: models.ActRequest,
        engine: EngineDep,
        who: PrincipalDep,
        print_: FingerprintDep,
        key: IdempotencyKey = None,
        if_match: Annotated[
            str | None,
            Header(
                alias="If-Match", description="案件的 ETag（版本）：已变更则 412", max_length=100
            ),
        ] = None,
    ) -> JSONResponse:
        """Fire a lifecycle event or record an action, as the token's holder. A stale
        ``If-Match`` is 412 before anything runs; a change that loses a race with another is
        409 ``ConflictError``; an event the state does not allow is 409 ``TransitionRefused``."""
        who.require_writer("act on cases")

        def work(eng: Engine) -> Reply:
            before = _visible(eng, who, case_id, history=False)
            expected = _if_match(if_match, before)
            if expected is None:
                expected = action.expected_version
            eng.act(
                case_id,
                action.event,
                actor=who.actor,
                reason=action.reason,
                params=action.params or None,
                expected_version=expected,
            )
            after = eng.get(case_id)
            return Reply(200, _detail(eng, after), {"ETag": _etag(after.version)})

        return _send(run_post(engine, who, check_key(key), print_, work, _case_headers))

    @app.get(
        "/v1/cases/{case_id}/allowed",
        tags=["案件"],
        response_model=list[models.AllowedEvent],
        responses=_ERRORS,
        summary="当前允许的事件与措施",
    )
    def allowed(
        case_id: Annotated[int, Path(ge=1, le=MAX_ID)], engine: EngineDep, who: PrincipalDep
    ) -> JSONResponse:
        """The lifecycle events the case's state allows now (guards not evaluated), then the
        actions inside handling."""
        _visible(engine, who, case_id, history=False)
        events = engine.allowed(case_id)
        return JSONResponse([{"event": e, "label": label} for e, label in events])

    @app.get(
        "/v1/cases/{case_id}/explain",
        tags=["时限"],
        response_model=models.Explanation,
        responses=_ERRORS,
        summary="时限与升级规则的适用说明",
    )
    def explain(
        case_id: Annotated[int, Path(ge=1, le=MAX_ID)], engine: EngineDep, who: PrincipalDep
    ) -> JSONResponse:
        """Which clocks and escalations of the case's pack apply, each with its legal basis,
        its rule's ``file:line`` and the derivation of its deadline."""
        _visible(engine, who, case_id, history=False)
        return _send(Reply(200, explanation_shape(engine.explain(case_id), _tz(engine))))

    # ------------------------------------------------------------------ time limits

    @app.get(
        "/v1/overdue",
        tags=["时限"],
        response_model=models.OverduePage,
        responses=_ERRORS,
        summary="超期与将到期的时限",
    )
    def overdue(
        engine: EngineDep,
        who: PrincipalDep,
        within: Annotated[
            str | None,
            Query(
                max_length=32,
                description="同时列出此期间内将到期的时限：'2 days'、'12 hours'、'3 workdays'",
            ),
        ] = None,
        region: Annotated[str | None, Query(pattern=REGION)] = None,
        level: Annotated[LEVELS | None, Query()] = None,
        clock: Annotated[
            str | None, Query(max_length=64, description="时限ID，如 acceptance")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    ) -> JSONResponse:
        """Running clocks past their deadline (most overdue first), in the token's division."""
        span = _within(within)
        scope = narrowest(who.office, region)
        items: list[Any] = []
        more = False
        if scope is not None:
            items, more = _page(
                lambda n: engine.overdue(within=span, region=scope, level=level, limit=n),
                keep=(lambda item: item.clock == clock) if clock is not None else None,
                offset=offset,
                limit=limit,
            )
        tz = _tz(engine)
        return _send(
            Reply(
                200,
                {
                    "items": [overdue_shape(i, tz) for i in items],
                    "offset": offset,
                    "limit": limit,
                    "has_more": more,
                },
            )
        )

    # ------------------------------------------------------------------ notices

    @app.get(
        "/v1/notices",
        tags=["通知"],
        response_model=list[models.NoticeItem],
        responses=_ERRORS,
        summary="通知列表",
    )
    def notices(
        engine: EngineDep,
        who: PrincipalDep,
        status: Annotated[NOTICE_STATUSES | None, Query()] = None,
        case: Annotated[int | None, Query(ge=1, le=MAX_ID, description="案件ID")] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> JSONResponse:
        """Notices of the token's division, newest first."""
        seen = _NoticeScope(engine, who)
        if case is not None:
            _visible(engine, who, case, history=False)
        found, _ = _page(
            lambda n: engine.notices(status=status, case_id=case, limit=n),
            keep=seen,
            offset=0,
            limit=limit,
        )
        return JSONResponse(to_jsonable([notice_shape(n) for n in found]))

    @app.get(
        "/v1/notices/{notice_id}",
        tags=["通知"],
        response_model=models.NoticeDetail,
        responses=_ERRORS,
        summary="查看通知",
    )
    def notice(
        notice_id: Annotated[int, Path(ge=1, le=MAX_ID)], engine: EngineDep, who: PrincipalDep
    ) -> JSONResponse:
        """Where the notice goes, its attempts, last error and the rendered document."""
        found = _notice(engine, who, notice_id)
        return _send(Reply(200, notice_detail(found, _tz(engine))))

    @app.post(
        "/v1/notices/{notice_id}/retry",
        tags=["通知"],
        response_model=models.NoticeDetail,
        responses=_ERRORS,
        summary="重新投递",
    )
    def retry(
        notice_id: Annotated[int, Path(ge=1, le=MAX_ID)],
        engine: EngineDep,
        who: PrincipalDep,
        print_: FingerprintDep,
        key: IdempotencyKey = None,
    ) -> JSONResponse:
        """A dead-lettered notice back in the queue, due now, attempts reset."""
        who.require_writer("retry notices")

        def work(eng: Engine) -> Reply:
            _notice(eng, who, notice_id)
            done = eng.retry_notice(notice_id)
            return Reply(200, notice_detail(eng.notice(done.id), _tz(eng)))

        return _send(run_post(engine, who, check_key(key), print_, work))

    # ------------------------------------------------------------------ reports

    file_responses: dict[int | str, dict[str, Any]] = {
        200: {
            "description": "报表文件",
            "content": {media: {} for media in MEDIA.values()},
        },
        **_ERRORS,
    }

    @app.get(
        "/v1/reports/campaign",
        tags=["报表"],
        response_class=Response,
        responses=file_responses,
        summary="附件2 根治欠薪冬季专项行动情况",
    )
    def campaign(
        engine: EngineDep,
        who: PrincipalDep,
        period_from: Annotated[date, Query(alias="from", description="首日 YYYY-MM-DD")],
        period_to: Annotated[date, Query(alias="to", description="末日（含）")],
        format: Annotated[ReportFormat, Query(description="xlsx、csv 或 html")] = "xlsx",
        region: Annotated[
            str | None, Query(pattern=REGION, description="欠薪发生地（含下级）；默认令牌辖区")
        ] = None,
        unit: Annotated[str | None, Query(max_length=100, description="制表单位")] = None,
    ) -> Response:
        """附件2 over the cases received in the period, in the token's division."""
        scope = _report_scope(who, region)
        data = campaign_file(
            engine,
            region=scope,
            period_from=period_from,
            period_to=period_to,
            fmt=format,
            unit=unit,
        )
        return _download(data, format, f"附件2-{scope}-{period_from}-{period_to}")

    @app.get(
        "/v1/reports/ledger",
        tags=["报表"],
        response_class=Response,
        responses=file_responses,
        summary="案件台账",
    )
    def ledger(
        engine: EngineDep,
        who: PrincipalDep,
        period_from: Annotated[
            date | None, Query(alias="from", description="首日；默认 to 所在月的1日")
        ] = None,
        period_to: Annotated[date | None, Query(alias="to", description="末日；默认今天")] = None,
        format: Annotated[ReportFormat, Query(description="xlsx、csv 或 html")] = "xlsx",
        region: Annotated[str | None, Query(pattern=REGION)] = None,
        unit: Annotated[str | None, Query(max_length=100, description="制表单位")] = None,
    ) -> Response:
        """The cases open at some time in the period, in the token's division."""
        scope = _report_scope(who, region)
        data = ledger_file(
            engine,
            region=scope,
            period_from=period_from,
            period_to=period_to,
            fmt=format,
            unit=unit,
        )
        return _download(data, format, f"台账-{scope}")


# --------------------------------------------------------------------------------- helpers


def _report_scope(who: Principal, region: str | None) -> str:
    scope = narrowest(who.office, region)
    if scope is None:  # another division's report: as unknown as its cases
        raise RequestInvalid(
            [FieldProblem("region", region, f"is outside this token's division {who.office}")]
        )
    return scope


def _download(data: bytes, fmt: str, stem: str) -> Response:
    from urllib.parse import quote

    name = quote(f"{stem}.{fmt}")
    return Response(
        data,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
    )


def _batch_row(index: int, record: Mapping[str, Any], result: Any) -> dict[str, Any]:
    ref = record.get("ref") if isinstance(record.get("ref"), str) else None
    if isinstance(result, InvalidIntake):
        return {
            "record": index,
            "ref": ref,
            "status": "rejected",
            "id": None,
            "error": error_body(result)["error"],
        }
    if isinstance(result, DuplicateCase):
        return {
            "record": index,
            "ref": ref,
            "status": "duplicate",
            "id": None,
            "error": error_body(result)["error"],
        }
    return {
        "record": index,
        "ref": result.ref,
        "status": "accepted",
        "id": result.id,
        "error": None,
    }


def _within(text: str | None) -> Any:
    """``'2 days'`` / ``'12 hours'`` as a span, ``'3 workdays'`` as the pack's limit."""
    if text is None:
        return None
    from zhiqian.rules.limits import LimitUnit, parse_limit

    try:
        limit = parse_limit(text)
    except ValueError as exc:
        raise RequestInvalid([FieldProblem("within", text, str(exc))]) from None
    if limit.unit == LimitUnit.DAYS:
        return timedelta(days=limit.n)
    if limit.unit == LimitUnit.HOURS:
        return timedelta(hours=limit.n)
    return limit


_MAX_SCAN = 20_000  # a filtered page reads at most this many rows ahead


def _page(
    fetch: Callable[[int], list[Any]],
    *,
    keep: Callable[[Any], bool] | None,
    offset: int,
    limit: int,
) -> tuple[list[Any], bool]:
    """``limit`` items after ``offset`` of what ``fetch(n)`` (the first n, in order) returns
    that ``keep`` accepts; asks for more rows until the page is full or the rows run out."""
    want = offset + limit + 1
    n = want
    while True:
        rows = fetch(n)
        kept = rows if keep is None else [r for r in rows if keep(r)]
        if len(kept) >= want or len(rows) < n or n >= _MAX_SCAN:
            return kept[offset : offset + limit], len(kept) > offset + limit
        n = min(n * 4, _MAX_SCAN)


class _NoticeScope:
    """Whether the token sees a notice: by its case's divisions, or (a digest, no case) by the
    division in its recipient (``handler@140302``). Cases are looked up once per request."""

    def __init__(self, engine: Engine, who: Principal) -> None:
        self.engine = engine
        self.who = who
        self.cases: dict[int, bool] = {}

    def __call__(self, notice: Any) -> bool:
        if notice.case_id is None:
            return self.who.sees(str(notice.recipient).rpartition("@")[2])
        if notice.case_id not in self.cases:
            try:
                case = self.engine.get(notice.case_id, history=False)
                self.cases[notice.case_id] = self.who.sees(case.handling_region, case.region)
            except CaseNotFound:
                self.cases[notice.case_id] = False
        return self.cases[notice.case_id]


def _notice(engine: Engine, who: Principal, notice_id: int) -> Any:
    try:
        found = engine.notice(notice_id)
    except Refused:  # the outbox says "no notice N" with a Refused
        raise NoticeNotFound(notice_id) from None
    if not _NoticeScope(engine, who)(found):
        raise NoticeNotFound(notice_id)
    return found


# --------------------------------------------------------------------------------- serving


def app_from_env() -> FastAPI:
    """The app ``zhiqian serve`` runs in each worker: the engine on ``ZHIQIAN_DB`` with the
    ``ZHIQIAN_RULES`` pack, opened at start-up and closed at shutdown."""
    from zhiqian import Engine

    url = os.environ.get("ZHIQIAN_DB", "sqlite:///zhiqian.db")
    rules = os.environ.get("ZHIQIAN_RULES", "national")
    engine = Engine.open(url, pack=rules)
    app = create_app(engine)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        engine.close()

    app.router.lifespan_context = lifespan
    return app
