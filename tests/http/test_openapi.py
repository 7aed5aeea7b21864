"""docs/openapi.json is the document the service serves; a change to the models must be committed."""

from __future__ import annotations

import json
from pathlib import Path

from tests.http.conftest import Service
from zhiqian.engine.http import openapi_document

DOC = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_the_committed_document_is_the_generated_one() -> None:
    committed = json.loads(DOC.read_text("utf-8"))
    assert committed == openapi_document(), (
        "docs/openapi.json drifted from the models: "
        "run `python -m zhiqian.engine.http > docs/openapi.json` and commit it"
    )


def test_the_document_is_openapi_3_1_with_chinese_descriptions_and_errors(
    service: Service,
) -> None:
    with service.client(None) as anonymous:
        served = anonymous.get("/openapi.json").json()
    assert served == json.loads(DOC.read_text("utf-8"))
    assert served["openapi"].startswith("3.1")
    case = served["components"]["schemas"]["CaseDetail"]
    assert "案件" in case["description"]
    assert served["components"]["schemas"]["ComplaintIn"]["examples"][0]["region"] == "140302"
    act = served["paths"]["/v1/cases/{case_id}/events"]["post"]
    assert {"404", "409", "412", "422"} <= set(act["responses"])
    assert act["responses"]["412"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorResponse"
    }
    assert served["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
