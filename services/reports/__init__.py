"""Performance reports and CSV exports of deployments and finished backtest jobs."""
