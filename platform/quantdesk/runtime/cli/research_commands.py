"""``quantdesk strategies``, ``backtest`` and ``sweep``: research from the command line."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import click

from quantdesk.runtime.cli.options import parse_mapping


def _symbols(value: str | None) -> list[str] | None:
    return [s.strip().upper() for s in value.split(",") if s.strip()] if value else None


def _params(pairs: tuple[str, ...]) -> dict[str, Any]:
    from quantdesk.backtest.sweep import _scalar

    return {k: _scalar(v) for k, v in parse_mapping(pairs).items()}


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


@click.group("strategies")
def strategies() -> None:
    """The strategies QuantDesk knows (modules of the strategies/ package)."""


@strategies.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def list_strategies_cmd(as_json: bool) -> None:
    """List strategies with their default symbols and parameters."""
    from quantdesk.strategy.registry import list_strategies

    infos = list_strategies()
    if as_json:
        rows = [
            {
                "name": i.name,
                "summary": i.summary,
                "symbols": list(i.default_symbols),
                "params": i.params,
                "path": i.path,
            }
            for i in infos
        ]
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    for info in infos:
        params = " ".join(f"{k}={v}" for k, v in info.params.items())
        click.echo(f"{info.name:<16} {info.summary}")
        click.echo(f"{'':<16} symbols {','.join(info.default_symbols)}  params {params}")


def _research_options(func):
    options = [
        click.argument("strategy"),
        click.option("--symbols", help="Comma-separated symbols (default: the strategy's, e.g. MSFT or MSFT,IBM)."),
        click.option("--data", "data_file", type=click.Path(path_type=Path), help="Bars from this CSV/Parquet file."),
        click.option("--timeframe", "-t", default="1d", show_default=True, help="Bar timeframe in the catalog."),
        click.option("--start", help="First bar (YYYY-MM-DD)."),
        click.option("--end", help="Last bar (YYYY-MM-DD)."),
        click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE", help="Strategy parameter."),
        click.option("--fees", default=0.001, show_default=True, help="Fee as a fraction of notional (0.001 = 0.1%)."),
        click.option("--slippage", default=0.0, show_default=True, help="Slippage as a fraction of price."),
        click.option("--cash", default=100_000.0, show_default=True, help="Starting cash."),
        click.option(
            "--adjusted/--raw",
            "adjusted",
            default=None,
            help="Adjusted or raw prices (default: adjusted where available).",
        ),
        click.option("--allow-short/--long-only", default=True, show_default=True, help="Let short targets trade."),
        click.option("--leverage", default=1.0, show_default=True, help="Cap on gross exposure (1.0 = no leverage)."),
        click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _input(
    strategy: str,
    symbols: str | None,
    data_file: Path | None,
    timeframe: str,
    start: str | None,
    end: str | None,
    params: dict[str, Any],
    adjusted: bool | None,
):
    from quantdesk.config import load_settings
    from quantdesk.runtime import open_catalog
    from quantdesk.runtime.research import research_input

    settings = load_settings()
    catalog = open_catalog(settings)
    adjustment = None if adjusted is None else ("adjusted" if adjusted else "raw")
    return research_input(
        catalog, strategy, symbols=_symbols(symbols), params=params, data_file=data_file, timeframe=timeframe,
        start=start, end=end, adjustment=adjustment, quarantine_dir=settings.quarantine_dir,
    )  # fmt: skip


@click.command("backtest")
@_research_options
@click.option("--html", "html", type=click.Path(path_type=Path), help="Also write an interactive HTML report.")
def backtest_cmd(
    strategy: str, symbols: str | None, data_file: Path | None, timeframe: str, start: str | None, end: str | None,
    params: tuple[str, ...], fees: float, slippage: float, cash: float, adjusted: bool | None,
    allow_short: bool, leverage: float, as_json: bool, html: Path | None,
) -> None:  # fmt: skip
    """Backtest STRATEGY on the catalog's bars (or --data FILE): decide at the close, fill at the next open.

    \b
    Examples:
      quantdesk backtest trend_following --symbols MSFT --param fast=20 --param slow=100
      quantdesk backtest pairs_arbitrage --symbols MSFT,IBM --fees 0.0005 --json
    """
    from quantdesk.backtest import backtest
    from quantdesk.execution.costs import Costs

    job = _input(strategy, symbols, data_file, timeframe, start, end, _params(params), adjusted)
    result = backtest(
        job.strategy, job.bars, costs=Costs.of(fees=fees, slippage=slippage), cash=cash,
        allow_short=allow_short, leverage=leverage,
    )  # fmt: skip
    if html is not None:
        from quantdesk.reporting.charts import write_html_report

        write_html_report(result, html)
    if as_json:
        click.echo(json.dumps(_json_safe({**result.to_json(), "adjustment": job.adjustment}), indent=2))
        return
    from quantdesk.runtime.cli.render import backtest_summary

    backtest_summary(result, job.adjustment)
    if html is not None:
        click.echo(f"report: {html}")


@click.command("sweep")
@_research_options
@click.option("--grid", "-g", "grid", multiple=True, required=True, metavar="NAME=START:STOP[:STEP]|A,B",
              help="Parameter values to sweep (stop excluded); repeat for each parameter.")  # fmt: skip
@click.option("--top", default=10, show_default=True, help="Rows shown, best Sharpe first.")
def sweep_cmd(
    strategy: str, symbols: str | None, data_file: Path | None, timeframe: str, start: str | None, end: str | None,
    params: tuple[str, ...], fees: float, slippage: float, cash: float, adjusted: bool | None,
    allow_short: bool, leverage: float, as_json: bool, grid: tuple[str, ...], top: int,
) -> None:  # fmt: skip
    """Backtest STRATEGY for every combination of --grid values; one row of metrics each.

    \b
    Example:
      quantdesk sweep trend_following --symbols MSFT --grid fast=5:55:5 --grid slow=20:220:20
    """
    from quantdesk.backtest.sweep import parse_grid, sweep
    from quantdesk.execution.costs import Costs

    job = _input(strategy, symbols, data_file, timeframe, start, end, _params(params), adjusted)
    table = sweep(
        job.strategy, job.bars, parse_grid(grid), costs=Costs.of(fees=fees, slippage=slippage), cash=cash,
        allow_short=allow_short, leverage=leverage, progress=not as_json,
    )  # fmt: skip
    if as_json:
        rows = [_json_safe(r) for r in table.to_dict("records")]
        click.echo(
            json.dumps({"strategy": job.strategy.name, "skipped": table.attrs["skipped"], "rows": rows}, indent=2)
        )
        return
    from quantdesk.runtime.cli.render import sweep_table

    sweep_table(table, top)


@click.command("parity")
@_research_options
def parity_cmd(
    strategy: str, symbols: str | None, data_file: Path | None, timeframe: str, start: str | None, end: str | None,
    params: tuple[str, ...], fees: float, slippage: float, cash: float, adjusted: bool | None,
    allow_short: bool, leverage: float, as_json: bool,
) -> None:  # fmt: skip
    """Replay STRATEGY through the live components and compare with the vectorized backtest.

    The same fills (time, symbol, side, quantity, price to 1e-9 relative) and the same final equity are
    required; exits 1 and prints the first differences otherwise.

    \b
    Example:
      quantdesk parity pairs_arbitrage --symbols MSFT,IBM --start 2008-01-01
    """
    from quantdesk.execution.costs import Costs
    from quantdesk.runtime.parity import check_parity

    job = _input(strategy, symbols, data_file, timeframe, start, end, _params(params), adjusted)
    report = check_parity(
        job.strategy, job.bars, costs=Costs.of(fees=fees, slippage=slippage), cash=cash, timeframe=timeframe,
        allow_short=allow_short, leverage=leverage,
    )  # fmt: skip
    if as_json:
        click.echo(json.dumps(_json_safe(report.to_json()), indent=2))
    else:
        verdict = "PARITY OK" if report.ok else "PARITY FAILED"
        click.echo(
            f"{verdict}: {report.strategy} on {','.join(job.strategy.symbols)} · {len(job.bars):,} bars · "
            f"fills backtest {len(report.backtest_fills)} / replay {len(report.replay_fills)} · final equity "
            f"backtest {report.backtest_equity:,.2f} / replay {report.replay_equity:,.2f}"
        )
        for line in report.differences[:10]:
            click.echo(f"  {line}")
    if not report.ok:
        sys.exit(1)
