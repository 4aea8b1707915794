"""``quantdesk promote`` and ``quantdesk registry``: the gate from research to the live runner."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from quantdesk.runtime.cli.research_commands import _input, _json_safe, _params, _research_options


@click.command("promote")
@_research_options
@click.option("--name", required=True, help="Registry name of the version (e.g. trend-msft).")
@click.option("--oos-start", help="First bar of the held-out period the minimums are measured on.")
@click.option("--min-sharpe", type=float, help="Out-of-sample Sharpe must be at least this.")
@click.option("--min-return", type=float, help="Out-of-sample total return must be at least this (0.05 = 5%).")
@click.option("--max-drawdown", type=float, help="Out-of-sample drawdown may not be deeper (0.3 = -30%).")
@click.option("--min-trades", type=int, help="Out-of-sample closed trades must be at least this.")
def promote_cmd(
    strategy: str, symbols: str | None, data_file: Path | None, timeframe: str, start: str | None, end: str | None,
    params: tuple[str, ...], fees: float, slippage: float, cash: float, adjusted: bool | None,
    allow_short: bool, leverage: float, as_json: bool, name: str, oos_start: str | None,
    min_sharpe: float | None, min_return: float | None, max_drawdown: float | None, min_trades: int | None,
) -> None:  # fmt: skip
    """Run the promotion gates on STRATEGY and record it in the registry if they all pass.

    Gates: causality (no lookahead), parity (replay through the live components fills as the backtest),
    and the out-of-sample minimums you set. Exits 1 when a gate fails; nothing is recorded then.

    \b
    Example:
      quantdesk promote trend_following --param fast=20 --param slow=100 --name trend-msft \\
          --oos-start 2010-01-01 --min-sharpe 0.2
    """
    from quantdesk.config import load_settings
    from quantdesk.execution.costs import Costs
    from quantdesk.runtime.promotion import Minimums, promote

    job = _input(strategy, symbols, data_file, timeframe, start, end, _params(params), adjusted)
    minimums = Minimums(min_sharpe, min_return, max_drawdown, min_trades)
    result = promote(
        job.strategy, job.bars, name=name, database_url=load_settings().resolved_database_url,
        costs=Costs.of(fees=fees, slippage=slippage), cash=cash, timeframe=timeframe, oos_start=oos_start,
        minimums=minimums,
    )  # fmt: skip
    if as_json:
        click.echo(json.dumps(_json_safe(result.to_json()), indent=2))
    else:
        for gate in result.gates:
            click.echo(f"{'PASS' if gate.passed else 'FAIL'}  {gate.name:<16} {gate.detail}")
        if result.promoted:
            click.echo(f"promoted: {name} version {result.version}")
        else:
            click.echo(f"not promoted: {name} (a gate failed; nothing was recorded)")
    if not result.promoted:
        sys.exit(1)


@click.group("registry")
def registry() -> None:
    """Promoted strategy versions."""


@registry.command("list")
@click.option("--name", help="Only this registry name.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def registry_list(name: str | None, as_json: bool) -> None:
    """List promoted versions: name, version, strategy, parameters, data range, code hash."""
    from quantdesk.config import load_settings
    from quantdesk.persistence import create_engine_for, session_factory, transaction, upgrade

    url = load_settings().resolved_database_url
    if url.startswith("sqlite"):
        upgrade(url)
    engine = create_engine_for(url)
    try:
        with transaction(session_factory(engine)) as uow:
            versions = uow.strategies.all(name)
    finally:
        engine.dispose()
    if as_json:
        rows = [
            {"name": v.name, "version": v.version, "strategy": v.strategy_path, "params": v.params,
             "code_hash": v.code_hash, "data_hash": v.data_hash, "created_at": v.created_at.isoformat(),
             "data_range": [v.data_range_start.isoformat() if v.data_range_start else None,
                            v.data_range_end.isoformat() if v.data_range_end else None],
             "metrics": v.metrics, "gates": v.gates}
            for v in versions
        ]  # fmt: skip
        click.echo(json.dumps(_json_safe(rows), indent=2, default=str))
        return
    if not versions:
        click.echo("no promoted versions yet: run `quantdesk promote STRATEGY --name NAME`")
    for v in versions:
        params = " ".join(f"{k}={val}" for k, val in v.params.items())
        start = v.data_range_start.date() if v.data_range_start else "?"
        end = v.data_range_end.date() if v.data_range_end else "?"
        click.echo(f"{v.name} v{v.version}  {v.strategy_path}  {params}  data {start}→{end}  code {v.code_hash[:12]}")
