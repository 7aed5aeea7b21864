"""The HTTP door takes ``contracted_migrant_workers`` (附件2 column 4) as the library does."""

from __future__ import annotations

from tests.http.conftest import COUNTY_A, Service
from zhiqian.testing import sample_complaint


def _complaint(seed: int, **kw: object) -> dict[str, object]:
    return sample_complaint(
        seed,
        region=COUNTY_A,
        received_at="2026-11-20T09:30:00+08:00",
        **{"workers": 12, "migrant_workers": 10, **kw},
    )


def test_the_figure_is_received_and_a_bad_one_names_the_field(service: Service) -> None:
    with service.client("a") as a:
        made = a.post("/v1/cases", json=_complaint(1, contracted_migrant_workers=6))
        assert made.status_code == 201, made.text
        bad = a.post("/v1/cases", json=_complaint(2, contracted_migrant_workers=11))
        assert bad.status_code == 422
        (problem,) = bad.json()["error"]["problems"]
        assert problem["field"] == "contracted_migrant_workers"
        assert "more than the 10 migrant workers" in problem["problem"]
    (case,) = list(service.engine.report_cases())
    assert case.migrant_contracts == 6
