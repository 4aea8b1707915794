"""The deployments this API process runs: each in a background thread (``start_deployment``), publishing its
events on the app's bus. A deployment runs here at most once at a time; stopping or halting one wakes it
from the pause between paced bars, so it ends without waiting that pause out."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from quantdesk.bus import Bus
from quantdesk.data.catalog import Catalog
from quantdesk.model import OrderSide
from quantdesk.runtime.deployment import DeploymentHandle, ManualOrderOutcome, start_deployment
from quantdesk.strategy.errors import StrategyError
from services.common.errors import Conflict

logger = logging.getLogger("services")


@dataclass
class _Run:
    handle: DeploymentHandle
    wake: threading.Event


class DeploymentRunners:
    """Starts, watches, stops and halts the runners of this process (thread-safe)."""

    def __init__(self, database_url: str, bus: Bus, catalog: Callable[[], Catalog]) -> None:
        self._url, self._bus, self._catalog = database_url, bus, catalog
        self._runs: dict[str, _Run] = {}
        self._lock = threading.Lock()

    def start(self, deployment_id: str) -> DeploymentHandle:
        """Run the deployment in a new thread; :class:`Conflict` if it runs here already."""
        with self._lock:
            current = self._runs.get(deployment_id)
            if current is not None and current.handle.running:
                raise Conflict(f"deployment {deployment_id} is running already")
            wake = threading.Event()

            def pause(seconds: float) -> None:
                wake.wait(seconds)

            handle = start_deployment(self._url, deployment_id, self._catalog(), bus=self._bus, sleep=pause)
            self._runs[deployment_id] = _Run(handle, wake)
            return handle

    def handle(self, deployment_id: str) -> DeploymentHandle | None:
        """The handle of the deployment's latest run in this process (running or ended), if any."""
        with self._lock:
            run = self._runs.get(deployment_id)
        return None if run is None else run.handle

    def running(self, deployment_id: str) -> bool:
        handle = self.handle(deployment_id)
        return handle is not None and handle.running

    def wake(self, deployment_id: str) -> None:
        """End the pause before the next bar (after a stop was recorded, so that it takes effect now)."""
        with self._lock:
            run = self._runs.get(deployment_id)
        if run is not None:
            run.wake.set()

    def halt(self, deployment_id: str) -> bool:
        """Pull the kill switch of a running deployment now; False if it does not run here."""
        handle = self.handle(deployment_id)
        if handle is None or not handle.running:
            return False
        halted = handle.runner.halt()
        self.wake(deployment_id)
        return halted

    def submit_manual(self, deployment_id: str, symbol: str, side: OrderSide, quantity: Decimal) -> ManualOrderOutcome:
        """Hand a manual order to the running deployment; :class:`Conflict` if it is not trading here."""
        handle = self.handle(deployment_id)
        if handle is None or not handle.running:
            raise Conflict(
                f"deployment {deployment_id} is not running: start it (POST /deployments/{deployment_id}/start)"
            )
        try:
            return handle.runner.submit_manual(symbol, side, quantity)
        except StrategyError as exc:
            raise Conflict(str(exc)) from None

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop every running deployment after its current bar (status stopped: it resumes when started again)."""
        with self._lock:
            runs = [run for run in self._runs.values() if run.handle.running]
        for run in runs:
            try:
                run.handle.stop()
            except Exception:  # the database may be gone already; the thread is a daemon
                logger.warning("could not record the stop of %s", run.handle.runner.deployment_id)
            run.wake.set()
        for run in runs:
            try:
                run.handle.wait(timeout)
            except Exception as exc:  # it ended with an error, or is still finishing its bar: both are logged
                logger.warning("deployment %s at shutdown: %s", run.handle.runner.deployment_id, exc)
