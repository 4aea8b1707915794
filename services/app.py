"""The API: ``create_app()`` builds one FastAPI app (OpenAPI at /docs) from settings, with nothing done at import.

Run it with ``python -m services`` (host and port from QUANTDESK_API_HOST / QUANTDESK_API_PORT) or
``uvicorn --factory services.app:create_app``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CollectorRegistry
from pwdlib import PasswordHash

from quantdesk import __version__
from quantdesk.bus import Bus, create_bus
from quantdesk.config import Settings, load_settings
from quantdesk.persistence import check, create_engine_for, password_hasher, session_factory, upgrade
from services.auth.router import router as auth_router
from services.backtests.router import router as backtests_router
from services.common.context import ApiContext
from services.common.crypto import SecretBox
from services.common.engine import Engine
from services.common.errors import install_error_handlers
from services.common.metrics import HttpMetrics, MetricsMiddleware
from services.common.middleware import BodyLimitMiddleware, InternalErrorMiddleware
from services.common.ratelimit import FailureLimiter
from services.common.tokens import AccessTokens, Clock
from services.deployments.router import router as deployments_router
from services.health.router import router as health_router
from services.market_data.router import router as market_data_router
from services.notifications.router import router as notifications_router
from services.portfolio.router import router as portfolio_router
from services.reports.router import router as reports_router
from services.strategies.router import router as strategies_router
from services.stream.hub import StreamHub
from services.stream.router import router as stream_router
from services.users.router import router as users_router


def _utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    passwords: PasswordHash | None = None,
    bus: Bus | None = None,
) -> FastAPI:
    """The API for ``settings`` (``load_settings()`` when None).

    ``clock`` (UTC now) and ``passwords`` (the hasher) can be replaced, e.g. by tests that move time or want
    cheaper argon2 parameters. ``bus`` is where deployments started here publish their events and where
    ``/ws`` reads them (default: ``create_bus(settings.redis_url)``, in-process without Redis; a bus the app
    made it also closes). On start a SQLite database is migrated (as the CLI does); any other database must
    already be at the newest revision (`quantdesk db upgrade`).
    """
    settings = settings if settings is not None else load_settings()
    clock = clock or _utc_now
    secret = settings.resolved_secret_key()
    url = settings.resolved_database_url
    engine = create_engine_for(url)
    own_bus = bus is None
    bus = create_bus(settings.redis_url) if bus is None else bus

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(upgrade if url.startswith("sqlite") else check, url)
        app.state.stream.start()
        try:
            yield
        finally:
            app.state.stream.stop()
            await run_in_threadpool(app.state.engine.shutdown)
            if own_bus:
                bus.close()
            engine.dispose()

    app = FastAPI(
        title="QuantDesk API",
        version=__version__,
        description="Users, risk profiles and broker credentials of the QuantDesk trading platform.",
        lifespan=lifespan,
    )
    app.state.context = ApiContext(
        settings=settings,
        sessions=session_factory(engine),
        clock=clock,
        access_tokens=AccessTokens(secret, timedelta(minutes=settings.access_token_minutes), clock),
        refresh_lifetime=timedelta(days=settings.refresh_token_days),
        passwords=passwords or password_hasher(),
        secrets=SecretBox(secret),
        login_limiter=FailureLimiter(clock),
    )
    app.state.engine = Engine(settings, bus, clock)
    app.state.stream = StreamHub(bus, app.state.context)
    app.state.metrics = HttpMetrics(CollectorRegistry())
    install_error_handlers(app)
    # the last added runs first: metrics see every answer, the catch-all sees every error
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(InternalErrorMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    for router in (
        health_router,
        auth_router,
        users_router,
        notifications_router,
        strategies_router,
        backtests_router,
        deployments_router,
        portfolio_router,
        reports_router,
        market_data_router,
        stream_router,
    ):
        app.include_router(router)
    return app
