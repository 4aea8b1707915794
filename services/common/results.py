"""Results of jobs as the API hands them out: the caller's own job (another user's answers 404), JSON-safe."""

from __future__ import annotations

import math
from typing import Any

from quantdesk.persistence import UserAccount
from services.common.engine import Engine
from services.common.errors import NotFound
from services.common.jobs import Job


def owned_job(engine: Engine, user: UserAccount, job_id: str, kind: str) -> Job:
    """The caller's job ``job_id`` of ``kind``; :class:`NotFound` if there is none or it is someone else's."""
    job = engine.jobs.get(job_id)
    if job is None or job.owner != user.username or job.kind != kind:
        raise NotFound(f"no {kind} job {job_id}")
    return job


def json_safe(value: Any) -> Any:
    """``value`` with NaN and ±inf as None (JSON has no such numbers)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value
