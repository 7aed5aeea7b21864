"""The long-running program (the daemon). Nothing in the library imports it."""
