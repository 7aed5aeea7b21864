"""Idempotency-Key: a hotline platform that retries after a timeout never makes a second case."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.http.conftest import COUNTY_A, Service
from zhiqian.testing import sample_complaint


def _complaint(seed: int) -> dict[str, object]:
    return sample_complaint(seed, region=COUNTY_A, received_at="2026-11-20T09:30:00+08:00")


def test_the_same_key_returns_the_first_result_and_a_new_body_is_refused(service: Service) -> None:
    with service.client("a") as a:
        first = a.post("/v1/cases", json=_complaint(1), headers={"Idempotency-Key": "12345-A1"})
        assert first.status_code == 201
        again = a.post("/v1/cases", json=_complaint(1), headers={"Idempotency-Key": "12345-A1"})
        assert again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.headers["ETag"] == first.headers["ETag"]
        assert service.engine.query().total == 1

        other = a.post("/v1/cases", json=_complaint(2), headers={"Idempotency-Key": "12345-A1"})
        assert other.status_code == 422
        assert other.json()["error"]["type"] == "IdempotencyKeyReused"
        assert service.engine.query().total == 1  # the different body was not received

        # Without a key a repeat is a duplicate (409), not a second case either.
        dup = a.post("/v1/cases", json=_complaint(1))
        assert dup.status_code == 409
        assert dup.json()["error"]["type"] == "DuplicateCase"


def test_keys_belong_to_one_token(service: Service) -> None:
    with service.client("a") as a, service.client("admin_a") as admin:
        assert a.post("/v1/cases", json=_complaint(3), headers={"Idempotency-Key": "k"}).is_success
        theirs = admin.post("/v1/cases", json=_complaint(4), headers={"Idempotency-Key": "k"})
        assert theirs.status_code == 201
    assert service.engine.query().total == 2


def test_an_act_retried_with_its_key_acts_once_and_a_refusal_replays(service: Service) -> None:
    with service.client("a") as a:
        case_id = a.post("/v1/cases", json=_complaint(5)).json()["id"]
        verify = {"event": "verify", "reason": "材料齐全"}
        one = a.post(f"/v1/cases/{case_id}/events", json=verify, headers={"Idempotency-Key": "v1"})
        two = a.post(f"/v1/cases/{case_id}/events", json=verify, headers={"Idempotency-Key": "v1"})
        assert one.status_code == two.status_code == 200
        assert one.json() == two.json()
        events = [e.event for e in service.engine.get(case_id).events]
        assert events.count("verify") == 1

        close = {"event": "close"}
        refused = a.post(
            f"/v1/cases/{case_id}/events", json=close, headers={"Idempotency-Key": "c"}
        )
        assert refused.status_code == 409
        version = service.engine.get(case_id).version
        replay = a.post(f"/v1/cases/{case_id}/events", json=close, headers={"Idempotency-Key": "c"})
        assert (replay.status_code, replay.json()) == (409, refused.json())
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert service.engine.get(case_id).version == version


def test_concurrent_retries_with_one_key_make_one_case(service: Service) -> None:
    def post(_: int) -> tuple[int, int]:
        with service.client("a") as a:
            got = a.post("/v1/cases", json=_complaint(6), headers={"Idempotency-Key": "race"})
            return got.status_code, got.json()["id"]

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(post, range(8)))
    assert {r for r in results} == {(201, results[0][1])}
    assert service.engine.query().total == 1


def test_a_bad_key_is_refused_in_our_shape(service: Service) -> None:
    with service.client("a") as a:
        got = a.post("/v1/cases", json=_complaint(7), headers={"Idempotency-Key": "k" * 300})
        assert got.status_code == 422
        assert got.json()["error"]["type"] == "RequestInvalid"
    assert service.engine.query().total == 0
