"""``quantdesk deploy / run / stop / kill-switch / orders``: promoted strategies on a paper account."""

from __future__ import annotations

import json

import click

from quantdesk.runtime.cli.research_commands import _json_safe


def _url() -> str:
    from quantdesk.config import load_settings

    return load_settings().resolved_database_url


@click.command("deploy")
@click.argument("name")
@click.option("--version", "version", type=int, help="Registry version (default: the latest).")
@click.option("--mode", default="paper", show_default=True, help="paper (simulated broker).")
@click.option("--feed", default="replay", show_default=True, help="replay: the catalog's bars, bar by bar.")
@click.option(
    "--speed", type=float, help="Replay pace: simulated seconds per real second (default: as fast as possible)."
)
@click.option("--cash", default=100_000.0, show_default=True, help="Starting cash of the paper account.")
@click.option(
    "--account",
    type=click.Choice(["cash", "margin"]),
    default="cash",
    show_default=True,
    help="cash: no borrowing, no short sales; margin: Reg-T 2x buying power, 25%/30% maintenance, shorts allowed.",
)
def deploy_cmd(
    name: str, version: int | None, mode: str, feed: str, speed: float | None, cash: float, account: str
) -> None:
    """Create a deployment of the promoted strategy NAME; prints its id (then: quantdesk run ID)."""
    from quantdesk.runtime.deployment import create_deployment

    deployment = create_deployment(
        _url(), name, version=version, mode=mode, feed=feed, speed=speed, cash=cash, account=account
    )
    click.echo(deployment.id)


@click.command("run")
@click.argument("deployment")
@click.option("--max-bars", type=int, help="Stop after this many bars (the next run resumes there).")
def run_cmd(deployment: str, max_bars: int | None) -> None:
    """Run DEPLOYMENT: resume from the database, reconcile with the broker, then trade bar by bar."""
    from quantdesk.config import load_settings
    from quantdesk.runtime import open_catalog
    from quantdesk.runtime.deployment import DeploymentRunner

    settings = load_settings()
    # with Redis, this runner publishes its events itself; without, they wait in the outbox for
    # `quantdesk worker` (or `quantdesk up`), which shares the database
    bus = None
    if settings.redis_url:
        from quantdesk.bus import create_bus

        bus = create_bus(settings.redis_url)
    runner = DeploymentRunner(settings.resolved_database_url, deployment, open_catalog(settings), bus=bus)
    summary = runner.run(max_bars=max_bars)
    resumed = f" (resumed after {summary.resumed_from:%Y-%m-%d})" if summary.resumed_from else ""
    click.echo(
        f"{summary.deployment_id}: {summary.bars} bars{resumed}, {summary.orders} orders, "
        f"{summary.fills} fills; {summary.status}"
    )


def _set(deployment: str, *, status: str | None = None, halt: bool = False) -> None:
    from quantdesk.model import DeploymentId
    from quantdesk.persistence import create_engine_for, session_factory, transaction
    from quantdesk.strategy.errors import StrategyError

    with transaction(session_factory(create_engine_for(_url()))) as uow:
        if uow.deployments.get(DeploymentId(deployment)) is None:
            raise StrategyError(f"no deployment {deployment}")
        if halt:
            uow.deployments.set_trading_state(DeploymentId(deployment), "halted")
        if status is not None:
            uow.deployments.set_status(DeploymentId(deployment), status)


@click.command("stop")
@click.argument("deployment")
def stop_cmd(deployment: str) -> None:
    """Ask DEPLOYMENT to stop after its current bar (open orders stay at the broker)."""
    _set(deployment, status="stopped")
    click.echo(f"{deployment}: stop requested")


@click.command("kill-switch")
@click.argument("deployment")
@click.confirmation_option(prompt="Halt trading and cancel every open order of this deployment?")
def kill_switch_cmd(deployment: str) -> None:
    """HALT DEPLOYMENT: cancel its open orders and block new ones until resumed by hand."""
    _set(deployment, halt=True)
    click.echo(f"{deployment}: kill switch on (HALTED); a running runner cancels its orders at the next bar")


@click.command("orders")
@click.argument("deployment")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def orders_cmd(deployment: str, as_json: bool) -> None:
    """List the orders of DEPLOYMENT with their status and fills."""
    from quantdesk.model import DeploymentId
    from quantdesk.persistence import create_engine_for, session_factory, transaction

    with transaction(session_factory(create_engine_for(_url()))) as uow:
        orders = uow.orders.for_deployment(DeploymentId(deployment))
    rows = [
        {
            "client_order_id": str(o.client_order_id),
            "symbol": str(o.symbol),
            "side": str(o.side),
            "type": str(o.order_type),
            "quantity": str(o.quantity),
            "status": str(o.status),
            "filled_quantity": str(o.filled_quantity),
            "avg_fill_price": str(o.avg_fill_price),
        }
        for o in orders
    ]
    if as_json:
        click.echo(json.dumps(_json_safe(rows), indent=2))
        return
    for row in rows:
        click.echo(
            f"{row['client_order_id']}  {row['side']:<4} {row['quantity']:>22} {row['symbol']:<6} "
            f"{row['status']:<16} filled {row['filled_quantity']} @ {row['avg_fill_price']}"
        )
    click.echo(f"{len(rows)} orders")
