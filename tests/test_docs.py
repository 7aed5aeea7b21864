"""Every ```python block of docs/*.md runs, in order, per page, on both databases."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)
PAGES = sorted(DOCS.glob("*.md"))


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_page_runs(page: Path, db_url: str) -> None:
    blocks = BLOCK.findall(page.read_text("utf-8"))
    assert blocks, f"{page.name} has no python blocks"
    namespace: dict[str, Any] = {"DATABASE_URL": db_url, "__name__": "__docs__"}
    for number, block in enumerate(blocks, 1):
        code = compile(block, f"{page.name}[block {number}]", "exec")
        exec(code, namespace)
