"""Text at the edges: what comes in, and what goes out to spreadsheets and terminals.

A leaf module (it imports nothing of ours) so that intake, the report writers and the CLI use the
same rules:

- in: :func:`nfc` (one spelling of every name, so refs compare equal however they were typed) and
  :func:`unsafe_char` (the first character that has no place in a name or identifier: control
  characters, format characters such as the zero-width space and bidi overrides, lone surrogates,
  line separators);
- out: :func:`csv_cell` (a cell a spreadsheet will not run as a formula), :func:`xlsx_text`
  (only characters XML 1.0 can carry, so one stray control character cannot break a workbook) and
  :func:`terminal_text` (control and bidi characters shown as escapes, so a name cannot clear the
  screen, rewrite a line or reverse what is displayed after it).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

__all__ = [
    "BIDI_CONTROLS",
    "FORMULA_START",
    "csv_cell",
    "describe_char",
    "nfc",
    "printable_value",
    "terminal_text",
    "unsafe_char",
    "xlsx_text",
]

# Embedding, override and isolate controls and the directional marks: each changes the order in
# which the characters after it are displayed.
BIDI_CONTROLS: Final = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection, OWASP).
FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER: Final = re.compile(r"[+-]?\d+(?:\.\d+)?", re.ASCII)
# Characters XML 1.0 cannot carry (openpyxl refuses them with IllegalCharacterError).
_XML_ILLEGAL: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_NAME_BAD_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def nfc(text: str) -> str:
    """``text`` in Unicode normal form C (a precomposed é and e + combining acute compare equal)."""
    return unicodedata.normalize("NFC", text)


def describe_char(ch: str) -> str:
    """``U+200B (ZERO WIDTH SPACE)``: a character named without printing it."""
    name = unicodedata.name(ch, "")
    if not name and "\ud800" <= ch <= "\udfff":
        name = "a lone surrogate"
    return f"U+{ord(ch):04X}" + (f" ({name})" if name else "")


def unsafe_char(text: str, *, multiline: bool = False) -> tuple[int, str] | None:
    """The 0-based index and category word of the first character that does not belong in text
    we store, or None.

    Names and identifiers (the default) refuse every control (Cc), format (Cf: zero-width
    spaces and joiners, bidi controls, soft hyphens), surrogate (Cs) and line/paragraph separator
    character. Free text (``multiline``) keeps newlines, tabs and format characters such as the
    zero-width joiner of an emoji, but still refuses other control characters, bidi controls and
    lone surrogates — none of them is typed on purpose and each breaks some output.
    """
    for i, ch in enumerate(text):
        category = unicodedata.category(ch)
        if multiline:
            if ch in "\n\r\t":
                continue
            if category in {"Cc", "Cs"} or ch in BIDI_CONTROLS:
                return i, _word(ch, category)
        elif category in _NAME_BAD_CATEGORIES:
            return i, _word(ch, category)
    return None


def _word(ch: str, category: str) -> str:
    if ch in BIDI_CONTROLS:
        return "bidi control character"
    return {
        "Cc": "control character",
        "Cf": "invisible format character",
        "Cs": "lone surrogate (not a character: the text was cut inside a UTF-16 pair)",
        "Zl": "line separator",
        "Zp": "paragraph separator",
    }.get(category, "character")


def printable_value(value: str, limit: int = 40) -> str:
    """``value`` cut to ``limit`` characters with unsafe characters escaped: for echoing a value
    that is not personal in an error message (it may be printed, logged or written as JSON)."""
    shown = value if len(value) <= limit else value[: limit - 1] + "…"
    return terminal_text(shown, keep_newlines=False)


def csv_cell(text: str) -> str:
    """Prefix a quote to a text cell a spreadsheet would run as a formula.

    A plain number (``-12.50``) is left alone: a number is not a formula, and a negative amount
    must stay readable as one. A lone surrogate (which no file encoding can hold) becomes its
    escape, so one bad cell cannot stop the rows after it.
    """
    if _SURROGATE.search(text):
        text = _SURROGATE.sub(lambda m: f"\\u{ord(m[0]):04x}", text)
    if text.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def xlsx_text(text: str) -> str:
    """``text`` without the characters an XLSX (XML 1.0) file cannot hold."""
    return _XML_ILLEGAL.sub("", text)


def terminal_text(text: str, *, keep_newlines: bool = True) -> str:
    """``text`` with control, bidi, separator and surrogate characters shown as escapes.

    ESC starts terminal commands (clear the screen, move the cursor, set the title), CR and BS
    rewrite what is on the line, and a bidi override reverses everything displayed after it:
    none reaches the terminal as itself. Newlines (and tabs) stay when ``keep_newlines``.
    """
    if text.isprintable() and not any(ch in BIDI_CONTROLS for ch in text):
        return text  # the common case: nothing to look at character by character
    out: list[str] = []
    for ch in text:
        if keep_newlines and ch in "\n\t":
            out.append(ch)
            continue
        category = unicodedata.category(ch)
        if category in {"Cc", "Cs", "Zl", "Zp"} or ch in BIDI_CONTROLS:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)
