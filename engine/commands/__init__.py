"""Writes, each run inside the caller's transaction, returning what they wrote."""
