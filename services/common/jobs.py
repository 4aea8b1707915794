"""An in-process job runner: work submitted by a user runs on a small thread pool; its state and result are
kept in memory (queued → running → done | failed) for the user to poll. Jobs do not outlive the process."""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from quantdesk.model import QuantdeskError
from services.common.tokens import Clock

logger = logging.getLogger("services")


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


Work = Callable[[], tuple[Any, dict[str, Any]]]
"""A job's work: returns its result object (kept for reports) and a JSON-ready summary of it."""


@dataclass(frozen=True)
class Job:
    """One job as it is now (a copy: the runner's own record keeps changing)."""

    id: str
    kind: str
    owner: str
    status: JobStatus
    request: dict[str, Any]
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    summary: dict[str, Any] | None = None
    error: str | None = None
    result: Any = field(default=None, repr=False)


class JobRunner:
    """Runs jobs on ``workers`` threads and remembers the last ``keep`` of them (the oldest finished ones are
    forgotten first). Thread-safe."""

    def __init__(self, clock: Clock, *, workers: int = 2, keep: int = 500) -> None:
        self._clock, self._keep = clock, keep
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="quantdesk-job")

    def submit(self, kind: str, owner: str, request: dict[str, Any], work: Work, *, prefix: str = "job") -> Job:
        """Queue ``work`` for ``owner``; the job's id is ``<prefix>-<12 hex>``."""
        job = Job(f"{prefix}-{uuid.uuid4().hex[:12]}", kind, owner, JobStatus.QUEUED, request, self._clock())
        with self._lock:
            self._jobs[job.id] = job
            self._forget_old()
        self._pool.submit(self._run, job.id, work)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def of(self, owner: str, kind: str) -> list[Job]:
        """The owner's jobs of ``kind``, newest first."""
        with self._lock:
            return [j for j in reversed(self._jobs.values()) if j.owner == owner and j.kind == kind]

    def shutdown(self) -> None:
        """Cancel what has not started; running jobs finish in their threads."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self, job_id: str, work: Work) -> None:
        self._update(job_id, status=JobStatus.RUNNING, started_at=self._clock())
        try:
            result, summary = work()
        except QuantdeskError as exc:
            self._update(job_id, status=JobStatus.FAILED, finished_at=self._clock(), error=str(exc))
        except Exception:
            logger.exception("job %s failed", job_id)
            self._update(job_id, status=JobStatus.FAILED, finished_at=self._clock(), error="internal error")
        else:
            self._update(job_id, status=JobStatus.DONE, finished_at=self._clock(), summary=summary, result=result)

    def _update(self, job_id: str, **changes: Any) -> None:
        with self._lock:
            if job_id in self._jobs:
                self._jobs[job_id] = replace(self._jobs[job_id], **changes)

    def _forget_old(self) -> None:
        finished = [k for k, j in self._jobs.items() if j.status in (JobStatus.DONE, JobStatus.FAILED)]
        for key in finished[: max(0, len(self._jobs) - self._keep)]:
            del self._jobs[key]
