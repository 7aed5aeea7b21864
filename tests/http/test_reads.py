"""The read resources: lists, overdue (paged, filtered), explain, allowed, notices (scoped)."""

from __future__ import annotations

from typing import Any

from tests.http.conftest import COUNTY_A, COUNTY_B, Service
from zhiqian.engine.http import models
from zhiqian.testing import sample_complaint


def _seed(svc: Service, n: int, region: str, start: int = 0) -> list[int]:
    return [
        svc.engine.receive(
            sample_complaint(start + i, region=region, received_at="2026-11-02T09:30:00+08:00"),
            actor="seed",
        ).id
        for i in range(n)
    ]


def test_overdue_is_paged_filtered_and_scoped(service: Service) -> None:
    mine = _seed(service, 5, COUNTY_A)
    theirs = _seed(service, 2, COUNTY_B, start=100)
    service.clock.set(service.clock.now().replace(month=12, day=1))  # past the 5 workdays
    with service.client("a") as a, service.client("city") as city:
        everything = a.get("/v1/overdue", params={"limit": 1000}).json()
        page = models.OverduePage.model_validate(everything)
        assert {i.case for i in page.items} == set(mine)
        assert all(i.overdue_by > 0 for i in page.items)
        assert [i.deadline for i in page.items] == sorted(i.deadline for i in page.items)

        first = a.get("/v1/overdue", params={"limit": 2}).json()
        second = a.get("/v1/overdue", params={"limit": 2, "offset": 2}).json()
        assert first["has_more"] is True
        assert first["items"] + second["items"] == everything["items"][:4]

        only = a.get("/v1/overdue", params={"clock": "acceptance", "limit": 1000}).json()
        assert only["items"]
        assert {i["clock"] for i in only["items"]} == {"acceptance"}
        assert a.get("/v1/overdue", params={"region": COUNTY_B}).json()["items"] == []
        cases = {i["case"] for i in city.get("/v1/overdue", params={"limit": 1000}).json()["items"]}
        assert cases == set(mine) | set(theirs)
        assert a.get("/v1/overdue", params={"level": "province"}).json()["items"] == []
        bad = a.get("/v1/overdue", params={"within": "2 weekz"})
        assert bad.status_code == 422
        assert bad.json()["error"]["problems"][0]["field"] == "within"


def test_case_resources_validate_against_the_documented_models(service: Service) -> None:
    [case_id] = _seed(service, 1, COUNTY_A)
    with service.client("a") as a:
        models.CaseDetail.model_validate(a.get(f"/v1/cases/{case_id}").json())
        explained = models.Explanation.model_validate(a.get(f"/v1/cases/{case_id}/explain").json())
        assert explained.case == case_id
        assert explained.clocks
        allowed = [
            models.AllowedEvent.model_validate(e)
            for e in a.get(f"/v1/cases/{case_id}/allowed").json()
        ]
        assert "verify" in {e.event for e in allowed}
        listed = models.CaseList.model_validate(
            a.get("/v1/cases", params={"state": "accepted"}).json()
        )
        assert [c.id for c in listed.items] == [case_id]
        assert "complainant" not in a.get("/v1/cases").json()["items"][0]  # lists carry no PII
        by_ref = a.get(f"/v1/cases/by-ref/{listed.items[0].ref}")
        assert by_ref.json()["id"] == case_id
        assert by_ref.headers["ETag"]


def test_notices_are_scoped_to_the_division_and_retry_needs_a_writer(service: Service) -> None:
    # A collective case of 20+ workers draws the leaders' notices at intake in the shipped pack.
    ids = _seed(service, 6, COUNTY_A)
    notices: list[Any] = service.engine.notices(limit=1000)
    assert notices, "the seeded cases queue notices"
    mine = [n for n in notices if n.case_id in ids]
    with service.client("a") as a, service.client("b") as b, service.client("auditor_a") as aud:
        listed = [models.NoticeItem.model_validate(n) for n in a.get("/v1/notices").json()]
        assert {n.id for n in listed} == {n.id for n in mine}
        assert b.get("/v1/notices").json() == []
        one = mine[0].id
        shown = models.NoticeDetail.model_validate(a.get(f"/v1/notices/{one}").json())
        assert shown.id == one
        assert b.get(f"/v1/notices/{one}").status_code == 404
        assert a.get("/v1/notices/999999").json()["error"]["type"] == "NoticeNotFound"
        assert aud.post(f"/v1/notices/{one}/retry").status_code == 403
        retried = a.post(f"/v1/notices/{one}/retry")
        assert retried.status_code == 200, retried.text
        assert (retried.json()["status"], retried.json()["attempts"]) == ("pending", 0)
        assert b.post(f"/v1/notices/{one}/retry").status_code == 404
        assert a.get("/v1/notices", params={"case": ids[0]}).status_code == 200
        assert b.get("/v1/notices", params={"case": ids[0]}).status_code == 404
    with service.client("city") as city:
        city_sees = {n["id"] for n in city.get("/v1/notices").json()}
    assert {n.id for n in mine} <= city_sees
