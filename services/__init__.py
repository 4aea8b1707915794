"""The FastAPI gateway and the user, report and notification services."""
