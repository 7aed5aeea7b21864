"""What no issued document may contain, checked on its rendered text.

``document_problems(text)`` lists, one message each: template syntax left over (``{``, ``}``),
``None``, a placeholder (``（待…``), doubled brackets (``（（``, ``））``), a doubled word
(``项目（5标段）项目``, ``公司公司``), an internal identifier (``warn.verify.0``,
``crime_screen``, ``rule:…``) and two labelled lines run together (``…17日当前状态：…``). The
shipped templates are checked with it over real cases (tests/notifiers); a deployment can run
it over the output of its override folder before it goes live.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Final

__all__ = ["document_problems"]

_TEMPLATE_DIR: Final = Path(__file__).resolve().parent / "templates"
_CJK: Final = "\u4e00-\u9fff"
_CHECKS: Final = (
    (re.compile(r"[{}]"), "template syntax left in the text"),
    (re.compile(r"\bNone\b"), "None printed"),
    (re.compile(r"（待"), "a placeholder （待…）"),
    (re.compile(r"（（|））"), "doubled brackets"),
    (re.compile(rf"([{_CJK}]{{2,}})\1"), "a doubled word"),
    (re.compile(rf"([{_CJK}]{{2,}})（[^（）\n]*）\1"), "a doubled word around brackets"),
    (re.compile(r"\b[a-z][a-z0-9]*(?:[._][a-z0-9]+)+\b"), "an internal identifier"),
    (re.compile(r"\brule:"), "an internal identifier"),
)
# A label at the start of a line in a shipped template: "案件编号：", "承 办 人：", "依　　据：".
_LABEL_LINE: Final = re.compile(rf"^([{_CJK}][{_CJK} 　]{{1,10}}[{_CJK}])：", re.MULTILINE)


@cache
def _labels() -> frozenset[str]:
    found: set[str] = set()
    for path in _TEMPLATE_DIR.glob("*.txt.j2"):
        found.update(_LABEL_LINE.findall(path.read_text(encoding="utf-8")))
    return frozenset(found)


@cache
def _glued() -> re.Pattern[str]:
    """A label that follows text on its line without a separator: a lost line break."""
    labels = "|".join(sorted(map(re.escape, _labels()), key=len, reverse=True))
    return re.compile(rf"(?<=[{_CJK}0-9）])(?:{labels})：")


def document_problems(text: str) -> list[str]:
    """What is wrong with a rendered document, one message each (empty: nothing found)."""
    problems: list[str] = []
    for pattern, what in _CHECKS:
        for match in pattern.finditer(text):
            problems.append(f"{what}: {_around(text, match.start(), match.end())}")
    for match in _glued().finditer(text):
        problems.append(
            f"two labelled lines run together: {_around(text, match.start(), match.end())}"
        )
    return problems


def _around(text: str, start: int, end: int) -> str:
    return repr(text[max(0, start - 12) : end + 12])
