"""Every ```python block of docs/*.md runs, in order, per page, on both databases."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)
# Pages with runnable examples; the others (cli.md, rules.md, …) show console and YAML only.
PAGES = sorted(p for p in DOCS.glob("*.md") if "```python" in p.read_text("utf-8"))


def test_the_embedding_guide_is_among_the_runnable_pages() -> None:
    assert "embedding.md" in [p.name for p in PAGES]


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_page_runs(page: Path, db_url: str) -> None:
    blocks = BLOCK.findall(page.read_text("utf-8"))
    namespace: dict[str, Any] = {"DATABASE_URL": db_url, "__name__": "__docs__"}
    for number, block in enumerate(blocks, 1):
        code = compile(block, f"{page.name}[block {number}]", "exec")
        exec(code, namespace)
