"""Research jobs as the CLI, the API and notebooks run them: strategy + bars from the catalog or a file."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from quantdesk.data.catalog import Catalog
from quantdesk.data.errors import DataError
from quantdesk.data.panel import load_panel, panel
from quantdesk.strategy.base import Strategy
from quantdesk.strategy.registry import get_strategy


@dataclass(frozen=True)
class ResearchInput:
    """A configured strategy and the bars it runs on."""

    strategy: Strategy[Any]
    bars: pd.DataFrame
    adjustment: str


def build_strategy(name: str, symbols: Sequence[str] | None, params: Mapping[str, Any]) -> Strategy[Any]:
    cls = get_strategy(name)
    return cls(symbols=list(symbols) if symbols else None, **dict(params))


def resolve_adjustment(catalog: Catalog, strategy: Strategy[Any], adjustment: str | None, timeframe: str) -> str:
    """The explicit choice, else the strategy's convention where every symbol has adjusted prices, else raw."""
    if adjustment is not None:
        return adjustment
    infos = {s.symbol: s for s in catalog.series()}
    if all(sym in infos and infos[sym].has_adjusted for sym in strategy.symbols):
        return strategy.default_adjustment
    return "raw"


def research_input(
    catalog: Catalog,
    name: str,
    *,
    symbols: Sequence[str] | None = None,
    params: Mapping[str, Any] | None = None,
    data_file: Path | None = None,
    timeframe: str = "1d",
    start: str | None = None,
    end: str | None = None,
    adjustment: str | None = None,
    quarantine_dir: Path,
) -> ResearchInput:
    """The strategy ``name`` configured with ``params`` and its bars, from the catalog or ``data_file``."""
    strategy = build_strategy(name, symbols, params or {})
    if data_file is not None:
        bars = _bars_from_file(strategy, data_file, start, end, quarantine_dir)
        return ResearchInput(strategy, bars, "as in the file")
    chosen = resolve_adjustment(catalog, strategy, adjustment, timeframe)
    bars = load_panel(catalog, strategy.symbols, timeframe, start, end, adjustment=chosen)
    return ResearchInput(strategy, bars, chosen)


def _bars_from_file(
    strategy: Strategy[Any], path: Path, start: str | None, end: str | None, quarantine_dir: Path
) -> pd.DataFrame:
    from quantdesk.data.ingest import check_file
    from quantdesk.data.sources import read_table

    table = read_table(path)
    frames = {}
    for symbol in strategy.symbols:
        checked = check_file(
            path,
            quarantine_dir=quarantine_dir,
            symbol=symbol if _has_symbol_column(table) else None,
            calendar=None,
            table=table,
        )
        report, tf = checked.report, checked.timeframe
        row_defects = {str(d): n for d, n in report.counts.items() if n and str(d) != "gap"}
        if row_defects:
            where = f"; quarantine report: {checked.quarantine_path}"
            found = ", ".join(f"{k} {v}" for k, v in row_defects.items())
            raise DataError(
                f"{path} has bad rows for {symbol} ({found}){where}; fix or import it with `quantdesk data import`"
            )
        frame = report.clean
        frame.attrs = {"symbol": symbol, "timeframe": str(tf), "adjustment": "as in the file"}
        frames[symbol] = frame.loc[start:end] if (start or end) else frame
    out = panel(frames)
    if out.empty:
        raise DataError(f"no bars in {path} between {start or 'the start'} and {end or 'the end'}")
    return out


def _has_symbol_column(table: pd.DataFrame) -> bool:
    return any(str(c).strip().lower() in ("symbol", "ticker") for c in table.columns)
