"""Several symbols' bars side by side: the ``(field, symbol)`` panel that strategies read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from quantdesk.data.catalog import Catalog
from quantdesk.data.errors import DataError
from quantdesk.data.frames import INDEX_NAME, OHLCV


def panel(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Join per-symbol bar frames on the bars every symbol has; columns are ``(field, symbol)``.

    ``panel(...)["close"]`` is then a frame of closes with one column per symbol, in the given order.
    """
    if not frames:
        raise DataError("a panel needs at least one symbol")
    symbols = list(frames)
    joined = pd.concat({s: frames[s].loc[:, list(OHLCV)] for s in symbols}, axis=1, join="inner")
    out = joined.swaplevel(axis=1)
    out = out.reindex(columns=pd.MultiIndex.from_product([list(OHLCV), symbols], names=["field", "symbol"]))
    out.index.name = INDEX_NAME
    first = next(iter(frames.values()))
    out.attrs = {
        "symbols": symbols,
        "timeframe": first.attrs.get("timeframe"),
        "adjustment": first.attrs.get("adjustment"),
        "synthetic": any(bool(f.attrs.get("synthetic")) for f in frames.values()),
    }
    return out


def load_panel(
    catalog: Catalog,
    symbols: Sequence[str],
    timeframe: str = "1d",
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    *,
    adjustment: str | None = None,
) -> pd.DataFrame:
    """Read ``symbols`` from the catalog into a panel (bars every symbol has, in [start, end])."""
    frames = {s.upper(): catalog.read(s, timeframe, start, end, adjustment=adjustment) for s in symbols}
    out = panel(frames)
    if out.empty:
        window = f"between {start or 'the start'} and {end or 'the end'}"
        raise DataError(f"no bars {window} where {', '.join(frames)} all have data")
    return out


def single(frame: pd.DataFrame, symbol: str) -> pd.DataFrame:
    """A one-symbol panel from one bar frame."""
    return panel({symbol.upper(): frame})
