"""Generated requests over every operation of the OpenAPI document (schemathesis, offline: the
document is read from docs/openapi.json, requests go to the real server on loopback).

For every request: no 5xx; every 4xx in our error shape; a refused POST changes no case and
queues no notice; every 2xx conforms to the documented response schema. A sample runs in the
normal suite; ``-m slow`` runs the bigger one. Each run prints how many requests it sent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.http.conftest import COUNTY_A, Service
from zhiqian.testing import sample_complaint

DOC = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


@dataclass
class Tally:
    sent: int = 0
    unsendable: int = 0  # a generated header the HTTP client itself refuses to send
    by_status: dict[int, int] = field(default_factory=dict)


def _written(svc: Service) -> tuple[Any, ...]:
    cases = tuple((c.id, c.version) for c in svc.engine.query(limit=1000).items)
    return cases, len(svc.engine.notices(limit=100_000))


def _fuzz(svc: Service, examples: int) -> Tally:
    for seed in range(3):  # real cases at ids 1..3, so generated small ids find something
        svc.engine.receive(
            sample_complaint(seed, region=COUNTY_A, received_at="2026-11-20T09:30:00+08:00"),
            actor="fuzz-setup",
        )
    schema = schemathesis.openapi.from_dict(json.loads(DOC.read_text("utf-8")))
    auth = {"Authorization": f"Bearer {svc.tokens['admin_a']}"}
    tally = Tally()
    session = requests.Session()
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=examples,
                database=None,
                deadline=None,
                derandomize=True,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def check(case: Any) -> None:
                before = _written(svc) if case.method.upper() == "POST" else None
                try:
                    response = case.call(
                        base_url=svc.base_url, session=session, headers=auth, timeout=60
                    )
                except (requests.exceptions.InvalidHeader, UnicodeEncodeError, ValueError):
                    tally.unsendable += 1
                    return
                tally.sent += 1
                status = response.status_code
                tally.by_status[status] = tally.by_status.get(status, 0) + 1
                where = (
                    f"{case.method} {case.formatted_path} → {status}: {response.content[:300]!r}"
                )
                assert status < 500, where
                if status >= 400:
                    error = response.json().get("error", {})
                    assert {"type", "message", "problems"} <= set(error), where
                    assert isinstance(error["problems"], list), where
                    if before is not None:
                        assert _written(svc) == before, f"a refused request wrote: {where}"
                elif "json" in str(response.headers.get("content-type")):
                    # raises with the offending path when a body leaves its schema
                    case.operation.validate_response(response, case=case)

            try:
                check()
            except Unsatisfiable:  # nothing to get wrong (GET /health has no parameters)
                assert mode == GenerationMode.NEGATIVE
    session.close()
    return tally


def _report(tally: Tally, capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(tally.by_status.items()))
        print(
            f"\nfuzz: {tally.sent} generated requests ({statuses}); unsendable {tally.unsendable}"
        )


def test_generated_requests_get_no_server_error(
    service: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    tally = _fuzz(service, examples=4)
    _report(tally, capsys)
    assert tally.sent >= 13 * 4  # every operation
    assert not [s for s in tally.by_status if s >= 500]


@pytest.mark.slow
def test_many_generated_requests_get_no_server_error(
    service: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    tally = _fuzz(service, examples=30)
    _report(tally, capsys)
    assert tally.sent >= 13 * 30
