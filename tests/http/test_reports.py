"""Report downloads: 附件2 and 案件台账 in three formats, over the token's division only."""

from __future__ import annotations

import csv
import io

import pytest

from tests.http.conftest import COUNTY_A, COUNTY_B, Service
from zhiqian.engine.http.reports import MEDIA
from zhiqian.testing import sample_complaint


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "html"])
def test_the_reports_download_in_each_format(service: Service, fmt: str) -> None:
    for seed, region in ((1, COUNTY_A), (2, COUNTY_A), (3, COUNTY_B)):
        service.engine.receive(
            sample_complaint(seed, region=region, received_at="2026-11-20T09:30:00+08:00"),
            actor="seed",
        )
    with service.client("a") as a:
        period = {"from": "2026-11-01", "to": "2026-11-22", "format": fmt}
        for path in ("/v1/reports/campaign", "/v1/reports/ledger"):
            got = a.get(path, params=period)
            assert got.status_code == 200, got.text
            assert got.headers["content-type"] == MEDIA[fmt]
            assert got.headers["content-disposition"].startswith("attachment; filename*=UTF-8''")
            assert got.content
            if fmt == "xlsx":
                assert got.content[:2] == b"PK"  # a zip: the OOXML container
            if fmt == "html":
                assert "<table" in got.text
        outside = a.get("/v1/reports/campaign", params={**period, "region": COUNTY_B})
        assert outside.status_code == 422
        assert outside.json()["error"]["problems"][0]["field"] == "region"


def test_the_ledger_lists_only_the_division_s_cases(service: Service) -> None:
    refs = {}
    for seed, region in ((11, COUNTY_A), (12, COUNTY_B)):
        case = service.engine.receive(
            sample_complaint(seed, region=region, received_at="2026-11-20T09:30:00+08:00"),
            actor="seed",
        )
        refs[region] = case.ref
    with service.client("a") as a:
        got = a.get(
            "/v1/reports/ledger", params={"from": "2026-11-01", "to": "2026-11-22", "format": "csv"}
        )
    text = got.content.decode("utf-8-sig")
    assert refs[COUNTY_A] in text
    assert refs[COUNTY_B] not in text
    assert list(csv.reader(io.StringIO(text)))  # a readable CSV
