"""Terminal tables for the CLI (rich), kept apart from the commands so their logic stays readable."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from quantdesk.data.catalog import SeriesInfo


def _console() -> Console:
    # piped output (logs, tests) gets a width that fits the tables instead of rich's 80-column fallback
    console = Console(highlight=False)
    return console if console.is_terminal else Console(highlight=False, width=160)


def series_table(series: Sequence[SeriesInfo]) -> None:
    table = Table(title=f"{len(series)} series in the catalog", title_justify="left")
    for name, justify in (
        ("symbol", "left"),
        ("timeframe", "left"),
        ("bars", "right"),
        ("first", "left"),
        ("last", "left"),
        ("calendar", "left"),
        ("prices", "left"),
        ("source", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for s in series:
        daily = not any(u in s.timeframe for u in ("m", "h"))
        fmt = "%Y-%m-%d" if daily else "%Y-%m-%d %H:%M"
        prices = "raw + adjusted" if s.has_adjusted else "as quoted"
        source = f"SYNTHETIC ({s.meta.source})" if s.meta.synthetic else s.meta.source
        table.add_row(
            s.symbol,
            s.timeframe,
            f"{s.rows:,}",
            s.start.strftime(fmt),
            s.end.strftime(fmt),
            s.meta.calendar,
            prices,
            source,
        )
    _console().print(table)


def bars_table(bars: pd.DataFrame, *, rows: int, source: str = "") -> None:
    attrs = bars.attrs
    label = "SYNTHETIC " if attrs.get("synthetic") else ""
    title = (
        f"{label}{attrs.get('symbol', '')} {attrs.get('timeframe', '')} · {len(bars):,} bars · "
        f"{attrs.get('adjustment', 'raw')} prices" + (f" · {source}" if source else "")
    )
    table = Table(title=title, title_justify="left")
    daily = str(attrs.get("timeframe", "")).endswith(("d", "w"))
    table.add_column("session" if daily else "ts (UTC)")
    for column in bars.columns:
        table.add_column(column, justify="right")
    decimals = 5 if bars["close"].abs().median() < 10 else 2
    shown = bars if len(bars) <= 2 * rows else pd.concat([bars.head(rows), bars.tail(rows)])
    for i, (ts, row) in enumerate(shown.iterrows()):
        if len(bars) > 2 * rows and i == rows:
            table.add_row("…", *["…"] * len(bars.columns))
        label = ts.strftime("%Y-%m-%d") if daily else ts.strftime("%Y-%m-%d %H:%M")
        table.add_row(label, *(f"{v:,.0f}" if c == "volume" else f"{v:,.{decimals}f}" for c, v in row.items()))
    _console().print(table)


_SWEEP_METRICS = {
    "total_return", "cagr", "annual_volatility", "sharpe", "sortino", "max_drawdown", "max_drawdown_duration",
    "calmar", "time_in_market", "trades", "win_rate", "profit_factor", "expectancy", "final_equity",
    "avg_win", "avg_loss", "best_trade_return", "worst_trade_return",
}  # fmt: skip
_PERCENT = {"total_return", "cagr", "annual_volatility", "max_drawdown", "time_in_market", "win_rate"}


def _metric(name: str, value: float) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if name in _PERCENT:
        return f"{value:.2%}"
    if name in {"trades", "max_drawdown_duration", "fills"}:
        return f"{value:,.0f}"
    if name == "max_drawdown_days":
        return f"{value:,.0f} days"
    return f"{value:,.2f}" if abs(value) >= 100 else f"{value:.3f}"


def backtest_summary(result: Any, adjustment: str) -> None:
    start, end = result.equity.index[0], result.equity.index[-1]
    label = "SYNTHETIC " if result.bars.attrs.get("synthetic") else ""
    params = ", ".join(f"{k}={v}" for k, v in result.params.items())
    console = _console()
    console.print(
        f"{result.strategy}({params}) on {label}{','.join(result.symbols)} · {start.date()} → {end.date()} · "
        f"{len(result.equity):,} bars · {adjustment} prices · {len(result.fills):,} fills"
    )
    table = Table()
    table.add_column("metric")
    table.add_column(result.strategy, justify="right")
    table.add_column("buy_and_hold", justify="right")
    ours = result.metrics.to_dict()
    bench = result.benchmark.metrics.to_dict() if result.benchmark is not None else {}
    for name, value in ours.items():
        table.add_row(name, _metric(name, value), _metric(name, bench.get(name)))
    console.print(table)


def sweep_table(table: pd.DataFrame, top: int) -> None:
    ranked = table.sort_values("sharpe", ascending=False, na_position="last").head(top)
    params = [c for c in table.columns if c not in _SWEEP_METRICS]
    out = Table(
        title=(
            f"{table.attrs.get('strategy', '')} sweep · {len(table):,} combinations"
            f" ({table.attrs.get('skipped', 0)} invalid skipped) · top {len(ranked)} by Sharpe"
        ),
        title_justify="left",
    )
    columns = [*params, "total_return", "cagr", "sharpe", "max_drawdown", "trades", "win_rate"]
    for column in columns:
        out.add_column(column, justify="right")
    for row in ranked.itertuples(index=False):
        values = row._asdict()
        out.add_row(*(str(values[c]) if c in params else _metric(c, values[c]) for c in columns))
    _console().print(out)
