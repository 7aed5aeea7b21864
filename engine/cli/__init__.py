"""``zhiqian``: the administrators' command line. Nothing in the library imports it."""

from zhiqian.engine.cli.app import DEFAULT_DB, DEFAULT_RULES, app, main

__all__ = ["DEFAULT_DB", "DEFAULT_RULES", "app", "main"]
