"""Terminal tables for the CLI (rich), kept apart from the commands so their logic stays readable."""

from __future__ import annotations

from collections.abc import Sequence

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
        table.add_row(
            label, *(f"{v:,.0f}" if c == "volume" else f"{v:,.{decimals}f}" for c, v in row.items())
        )
    _console().print(table)
