"""Liveness, readiness (the database answers) and Prometheus metrics."""
