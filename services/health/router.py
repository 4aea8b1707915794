"""``/health`` (liveness and the database), ``/health/live`` (liveness only) and ``/metrics``."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.common.context import Ctx
from services.health import service
from services.health.schemas import Health, Unhealthy

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, responses={503: {"model": Unhealthy}})
def health(ctx: Ctx) -> JSONResponse:
    """200 when the process and its database answer; 503 when the database does not."""
    if service.database_ok(ctx):
        return JSONResponse(Health(status="ok", database="ok").model_dump())
    body = Unhealthy(detail="the database is unavailable", status="unavailable", database="unavailable")
    return JSONResponse(body.model_dump(), status_code=503)


@router.get("/health/live")
def live() -> Health:
    """200 while the process serves requests; checks nothing else."""
    return Health(status="ok", database="not checked")


@router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Request counts and latencies in the Prometheus text format."""
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
