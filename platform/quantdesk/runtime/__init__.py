"""Composition root: builds the platform's components from settings, and the command line."""

from quantdesk.runtime.context import open_catalog

__all__ = ["open_catalog"]
