"""ETag and If-Match: a stale screen gets 412 before anything runs; a lost race gets 409."""

from __future__ import annotations

from tests.http.conftest import COUNTY_A, Service
from zhiqian.testing import sample_complaint


def test_stale_if_match_is_412_and_a_stale_expected_version_is_409(service: Service) -> None:
    with service.client("a") as a, service.client("admin_a") as other:
        made = a.post(
            "/v1/cases",
            json=sample_complaint(1, region=COUNTY_A, received_at="2026-11-20T09:30:00+08:00"),
        )
        case_id = made.json()["id"]
        shown = a.get(f"/v1/cases/{case_id}")
        etag = shown.headers["ETag"]
        assert etag == made.headers["ETag"] == f'"{shown.json()["version"]}"'

        # Someone else acts first; the clerk's screen is now stale.
        assert other.post(f"/v1/cases/{case_id}/events", json={"event": "verify"}).is_success
        version = service.engine.get(case_id).version
        stale = a.post(
            f"/v1/cases/{case_id}/events", json={"event": "dismiss"}, headers={"If-Match": etag}
        )
        assert stale.status_code == 412
        error = stale.json()["error"]
        assert (error["type"], error["current"]) == ("PreconditionFailed", version)
        assert service.engine.get(case_id).version == version

        lost = a.post(
            f"/v1/cases/{case_id}/events",
            json={"event": "dismiss", "expected_version": version - 1},
        )
        assert lost.status_code == 409
        assert lost.json()["error"]["type"] == "ConflictError"
        assert service.engine.get(case_id).version == version

        fresh = a.get(f"/v1/cases/{case_id}").headers["ETag"]
        done = a.post(
            f"/v1/cases/{case_id}/events", json={"event": "handle"}, headers={"If-Match": fresh}
        )
        assert done.status_code == 200, done.text
        assert done.headers["ETag"] == f'"{done.json()["version"]}"'
        assert (
            a.post(
                f"/v1/cases/{case_id}/events", json={"event": "handle"}, headers={"If-Match": "*"}
            ).status_code
            == 409
        )  # '*' skips the check; the state refuses handle twice
