"""The admin CLI (placeholder until the CLI issue): a thin layer over the public API."""

from __future__ import annotations


def main() -> None:
    print("zhiqian")
