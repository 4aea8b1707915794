"""``quantdesk up``: the whole platform on one machine, on embedded defaults, until Ctrl-C.

It migrates the database, makes sure the bundled data is in the catalog, creates the demo user (its password
is printed once), promotes the seed strategy the first time, starts a paper deployment replaying the bundled
bars at an accelerated pace, the notification worker and the API on 127.0.0.1:8000 — one process sharing one
in-process bus. With ``QUANTDESK_DATABASE_URL`` and ``QUANTDESK_REDIS_URL`` set, the same pieces also run as
separate processes (``python -m services``, ``quantdesk worker``, ``quantdesk run``) on separate machines.
"""

from __future__ import annotations

import threading
from typing import Any

import click


@click.command("up")
@click.option("--host", default=None, help="API address (default QUANTDESK_API_HOST, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="API port (default QUANTDESK_API_PORT, 8000).")
@click.option(
    "--bars-per-second",
    type=float,
    default=20.0,
    show_default=True,
    help="Pace of the demo deployment's replay of daily bars (0: no demo deployment).",
)
def up_cmd(host: str | None, port: int | None, bars_per_second: float) -> None:
    """Run the platform: API, notification worker and a demo paper deployment; Ctrl-C stops everything."""
    import uvicorn

    from quantdesk.bus import create_bus
    from quantdesk.config import load_settings
    from quantdesk.persistence import create_engine_for, session_factory, upgrade
    from quantdesk.runtime import open_catalog
    from quantdesk.runtime.bootstrap import demo_deployment, ensure_demo_user, ensure_seed_strategy
    from quantdesk.runtime.cli.worker_commands import build_worker
    from quantdesk.runtime.deployment import start_deployment
    from services.app import create_app

    settings = load_settings()
    url = settings.resolved_database_url
    upgrade(url)
    catalog = open_catalog(settings)
    bus = create_bus(settings.redis_url)
    sessions = session_factory(create_engine_for(url))
    demo = ensure_demo_user(sessions)
    click.echo(f"seed strategy: {ensure_seed_strategy(url, catalog)} (trend following on MSFT, promoted)")
    stop = threading.Event()
    worker = build_worker(settings, sessions, bus)
    worker_thread = threading.Thread(target=worker.run, args=(stop,), name="quantdesk-worker", daemon=True)
    worker_thread.start()
    handle: Any = None
    if bars_per_second > 0:
        deployment = demo_deployment(url, demo.username, bars_per_second=bars_per_second)
        handle = start_deployment(url, str(deployment.id), catalog, bus=bus)
        click.echo(f"demo deployment: {deployment.id} ({bars_per_second:g} daily bars a second)")
    host, port = host or settings.api_host, port or settings.api_port
    server = uvicorn.Server(uvicorn.Config(create_app(settings, bus=bus), host=host, port=port, log_level="warning"))
    _banner(host, port, demo.username, demo.password)
    try:
        server.run()  # until Ctrl-C (uvicorn handles the signal and returns)
    except KeyboardInterrupt:  # a second Ctrl-C while uvicorn shuts down
        pass
    finally:
        if handle is not None and handle.running:
            handle.stop()
            handle.wait(timeout=30)
        stop.set()
        worker_thread.join(timeout=10)
        bus.close()
        click.echo("stopped: the deployment is paused (quantdesk run resumes it), the worker and the API are down")


def _banner(host: str, port: int, user: str, password: str | None) -> None:
    base = f"http://{host}:{port}"
    login = f"password: {password}  (shown once: note it)" if password else "password: as printed on the first run"
    lines = [
        "QuantDesk is up",
        f"  API        {base}   (OpenAPI docs: {base}/docs)",
        f"  log in     user: {user}   {login}",
        f"  watch      curl -s -X POST {base}/auth/token -d 'username={user}&password=...'",
        "  stop       Ctrl-C",
    ]
    click.echo("\n".join(lines))
