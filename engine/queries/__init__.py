"""Reads: use cases that only query the store and return typed views."""
