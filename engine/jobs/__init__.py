"""Time-driven work, each job callable once: the sweep, delivery, recompute, the monthly ledger."""
