"""A county token creates, acts on and reads its cases over HTTP, and cannot see the next
county's; a city token sees both; roles decide writes and personal data."""

from __future__ import annotations

from typing import Any

from tests.http.conftest import COUNTY_A, COUNTY_B, Service
from zhiqian.engine.http import models
from zhiqian.testing import sample_complaint


def _complaint(seed: int, region: str) -> dict[str, Any]:
    return sample_complaint(seed, region=region, received_at="2026-11-20T09:30:00+08:00")


def _versions(svc: Service) -> list[tuple[int, int]]:
    page = svc.engine.query(limit=1000)
    return [(c.id, c.version) for c in page.items]


def test_a_county_works_its_own_cases_and_cannot_see_the_next_county(service: Service) -> None:
    with service.client("a") as a, service.client("b") as b, service.client("city") as city:
        made = a.post("/v1/cases", json=_complaint(1, COUNTY_A))
        assert made.status_code == 201, made.text
        case = models.CaseDetail.model_validate(made.json())
        assert made.headers["ETag"] == f'"{case.version}"'
        assert made.headers["Location"] == f"/v1/cases/{case.id}"
        assert case.events[0].actor == service.holders["a"]  # the token's holder received it
        theirs = b.post("/v1/cases", json=_complaint(2, COUNTY_B)).json()["id"]

        acted = a.post(
            f"/v1/cases/{case.id}/events",
            json={"event": "verify", "reason": "电话核实"},
            headers={"If-Match": made.headers["ETag"]},
        )
        assert acted.status_code == 200, acted.text
        after = models.CaseDetail.model_validate(acted.json())
        assert after.state == "verifying"
        mine = [e for e in after.events if e.event == "verify"]
        assert [(e.actor, e.reason) for e in mine] == [(service.holders["a"], "电话核实")]

        # B cannot tell A's case from a case that does not exist: 404 everywhere, same shape.
        for path in (
            f"/v1/cases/{case.id}",
            f"/v1/cases/{case.id}/allowed",
            f"/v1/cases/{case.id}/explain",
            f"/v1/cases/by-ref/{case.ref}",
        ):
            seen = b.get(path)
            assert seen.status_code == 404, path
            assert seen.json()["error"]["type"] == "CaseNotFound"
        missing = b.get("/v1/cases/999999")
        assert missing.status_code == 404
        assert set(missing.json()["error"]) == set(b.get(f"/v1/cases/{case.id}").json()["error"])
        before = _versions(service)
        refused = b.post(f"/v1/cases/{case.id}/events", json={"event": "handle"})
        assert refused.status_code == 404
        assert _versions(service) == before  # nothing written

        assert [c["id"] for c in a.get("/v1/cases").json()["items"]] == [case.id]
        assert [c["id"] for c in b.get("/v1/cases").json()["items"]] == [theirs]
        assert b.get("/v1/cases", params={"region": COUNTY_A}).json()["items"] == []
        # The city sees both counties.
        assert sorted(c["id"] for c in city.get("/v1/cases").json()["items"]) == sorted(
            [case.id, theirs]
        )
        assert city.get(f"/v1/cases/{case.id}").status_code == 200
        assert a.get(f"/v1/cases/{theirs}").status_code == 404


def test_a_county_cannot_receive_a_complaint_of_another_county(service: Service) -> None:
    with service.client("a") as a:
        one = a.post("/v1/cases", json=_complaint(3, COUNTY_B))
        assert one.status_code == 422
        assert one.json()["error"]["problems"][0]["field"] == "region"
        batch = a.post(
            "/v1/cases/batch",
            json={"records": [_complaint(4, COUNTY_A), _complaint(5, COUNTY_B), {"ref": "x"}]},
        )
        assert batch.status_code == 200
        body = models.BatchResponse.model_validate(batch.json())
        assert [r.status for r in body.results] == ["accepted", "rejected", "rejected"]
        assert body.results[1].error is not None
        assert body.results[1].error["problems"][0]["record"] == 1
        assert (body.accepted, body.rejected) == (1, 2)
    assert [c.ref for c in service.engine.query().items] == [_complaint(4, COUNTY_A)["ref"]]


def test_auditors_read_only_and_personal_data_needs_the_role(service: Service) -> None:
    with service.client("a") as a, service.client("auditor_a") as auditor:
        case_id = a.post("/v1/cases", json=_complaint(6, COUNTY_A)).json()["id"]
        before = _versions(service)
        for path, body in (
            ("/v1/cases", _complaint(7, COUNTY_A)),
            (f"/v1/cases/{case_id}/events", {"event": "verify"}),
        ):
            refused = auditor.post(path, json=body)
            assert refused.status_code == 403, refused.text
            assert refused.json()["error"]["type"] == "Forbidden"
        assert _versions(service) == before

        masked = a.get(f"/v1/cases/{case_id}").json()
        assert masked["pii_shown"] is False
        assert "*" in masked["complainant"]["phone"]
        assert a.get(f"/v1/cases/{case_id}", params={"show_pii": "true"}).status_code == 403
        assert _versions(service) == before  # a refused look is not recorded either

        shown = auditor.get(f"/v1/cases/{case_id}", params={"show_pii": "true"})
        assert shown.status_code == 200
        full = shown.json()
        assert full["pii_shown"] is True
        assert full["complainant"]["phone"] == _complaint(6, COUNTY_A)["complainant"]["phone"]
        access = [e for e in full["events"] if e["label"] == "查看个人信息"]
        assert [e["actor"] for e in access] == [service.holders["auditor_a"]]
    assert service.engine.verify_audit() == []


def test_no_token_or_a_bad_one_is_401(service: Service) -> None:
    with service.client(None) as anonymous:
        for headers in ({}, {"Authorization": "Bearer zq_nope"}, {"Authorization": "Basic x"}):
            got = anonymous.get("/v1/cases", headers=headers)
            assert got.status_code == 401
            assert got.json()["error"]["type"] == "Unauthorized"
        assert anonymous.get("/health").json()["status"] == "ok"
