"""The pure domain: lifecycle, clocks, actions, intake validation, condition contexts.

Nothing here touches a database, the environment or a file of the host (a test enforces it):
each function takes what it needs and returns what was decided.
"""
