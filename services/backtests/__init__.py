"""Backtests as asynchronous jobs: submitted, run on the app's job runner, polled by their owner."""
