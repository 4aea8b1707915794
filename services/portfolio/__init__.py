"""A deployment's positions, orders, fills and equity history, and manual orders through its risk engine."""
