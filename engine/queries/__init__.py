"""Reads: what the facade shows of cases, deadlines, notices and the audit log."""
