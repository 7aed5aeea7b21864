"""``python -m zhiqian.engine.http``: print the OpenAPI document (docs/openapi.json)."""

from __future__ import annotations

import json
import sys

from zhiqian.engine.http import openapi_document

sys.stdout.write(json.dumps(openapi_document(), ensure_ascii=False, indent=2) + "\n")
