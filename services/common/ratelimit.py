"""Failed logins counted per key (an account, a client address) in a sliding window, in this process."""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta


class FailureLimiter:
    """At most ``max_failures`` failures per key in any ``window``; then :meth:`retry_after` says how many
    seconds until the oldest of them leaves the window. Thread-safe (sync routes run in a thread pool)."""

    def __init__(self, clock: Callable[[], datetime], max_failures: int = 5, window: timedelta | None = None) -> None:
        self._clock = clock
        self.max_failures = max_failures
        self.window = (window or timedelta(minutes=15)).total_seconds()
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, keys: Iterable[str]) -> int | None:
        """Seconds to wait if any key is at its limit, else None."""
        now = self._clock().timestamp()
        waits = []
        with self._lock:
            for key in keys:
                failures = self._pruned(key, now)
                if len(failures) >= self.max_failures:
                    waits.append(max(1, math.ceil(failures[0] + self.window - now)))
        return max(waits) if waits else None

    def record_failure(self, keys: Iterable[str]) -> None:
        now = self._clock().timestamp()
        with self._lock:
            for key in keys:
                self._pruned(key, now).append(now)

    def reset(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def _pruned(self, key: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if len(self._failures) > 100_000:  # bounded memory under a flood of made-up usernames
            self._failures = {k: v for k, v in self._failures.items() if v and v[-1] > now - self.window}
            self._failures.setdefault(key, failures)
        return failures
