"""Building the components a command or a notebook needs, from :class:`quantdesk.config.Settings`."""

from __future__ import annotations

from quantdesk.config import Settings
from quantdesk.data.bundle import ensure_bundled
from quantdesk.data.catalog import Catalog


def open_catalog(settings: Settings | None = None, *, bootstrap: bool = True) -> Catalog:
    """The catalog under the configured data dir, holding the bundled universe (imported on first use)."""
    settings = settings or Settings()
    catalog = Catalog(settings.catalog_dir)
    if bootstrap:
        ensure_bundled(catalog, settings.bundle_dir, settings.quarantine_dir)
    return catalog
