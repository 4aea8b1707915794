"""The trading engine as one API process holds it: the market data catalog and its bar service (opened on
first use), the event bus, the background jobs (backtests) and the deployments running here."""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import Depends, Request

from quantdesk.bus import Bus
from quantdesk.config import Settings
from quantdesk.data.catalog import Catalog
from quantdesk.data.retrieval import BarService, create_bar_service
from quantdesk.runtime import open_catalog
from services.common.jobs import JobRunner
from services.common.runners import DeploymentRunners
from services.common.tokens import Clock


class Engine:
    """Built by ``create_app``; routes get it with the :data:`Eng` dependency."""

    def __init__(self, settings: Settings, bus: Bus, clock: Clock) -> None:
        self.settings = settings
        self.database_url = settings.resolved_database_url
        self.bus = bus
        self.jobs = JobRunner(clock)
        self.runners = DeploymentRunners(self.database_url, bus, self.catalog)
        self._catalog: Catalog | None = None
        self._bars: BarService | None = None
        self._lock = threading.Lock()

    def catalog(self) -> Catalog:
        """The catalog under the data dir, the bundled universe imported into it on first use."""
        with self._lock:
            if self._catalog is None:
                self._catalog = open_catalog(self.settings)
            return self._catalog

    def bars(self) -> BarService:
        """The one bar service of the app (cached reads; shared through Redis when QUANTDESK_REDIS_URL is set)."""
        catalog = self.catalog()
        with self._lock:
            if self._bars is None:
                self._bars = create_bar_service(catalog, self.settings.redis_url)
            return self._bars

    def shutdown(self) -> None:
        self.runners.shutdown()
        self.jobs.shutdown()


def get_engine(request: Request) -> Engine:
    return request.app.state.engine


Eng = Annotated[Engine, Depends(get_engine)]
