"""``/ws``: a user's deployment events (orders, fills, risk, equity, positions) pushed as they happen."""
