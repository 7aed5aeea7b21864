"""Reads: each opens no transaction of its own (the caller passes the connection) and changes
nothing."""
