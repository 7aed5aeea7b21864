"""The HTTP service (``zhiqian serve``, the ``zhiqian[http]`` extra): FastAPI over the Engine.

``create_app(engine)`` builds the ASGI app; ``openapi_document()`` the OpenAPI 3.1 document
committed as docs/openapi.json. FastAPI is imported only when this package is.
"""

from __future__ import annotations

from typing import Any

from zhiqian.engine.http.app import create_app

__all__ = ["create_app", "openapi_document"]


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of the service, as served at ``/openapi.json``."""
    return create_app(None).openapi()
