"""Bars from the catalog through the app's bar service (cached)."""
