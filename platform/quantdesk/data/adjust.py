"""Raw or split/dividend-adjusted prices, chosen explicitly.

Sources such as the bundled daily file carry unadjusted OHLCV plus an ``adj_close``. Reading with
``Adjustment.ADJUSTED`` scales open, high, low and close by ``adj_close / close`` and divides volume by the
same factor (dollar volume is preserved); ``Adjustment.RAW`` returns the prices as traded. Mixing the two
conventions produces fake crashes at every split, so a series that carries ``adj_close`` cannot be read
without saying which one is wanted.
"""

from __future__ import annotations

from enum import StrEnum

import pandas as pd

from quantdesk.data.errors import AdjustmentRequired, DataError
from quantdesk.data.frames import ADJ_CLOSE, OHLCV, PRICE_COLUMNS


class Adjustment(StrEnum):
    RAW = "raw"
    ADJUSTED = "adjusted"


def parse_adjustment(value: Adjustment | str) -> Adjustment:
    try:
        return Adjustment(str(value).lower())
    except ValueError:
        raise DataError(f"unknown price adjustment {value!r}: use 'raw' or 'adjusted'") from None


def apply_adjustment(bars: pd.DataFrame, adjustment: Adjustment | str | None, *, symbol: str = "") -> pd.DataFrame:
    """Return canonical OHLCV bars in the requested convention (``adj_close`` is consumed, not returned)."""
    has_adj = ADJ_CLOSE in bars.columns
    if adjustment is None:
        if has_adj:
            raise AdjustmentRequired(
                f"{symbol or 'this series'} has both raw and adjusted prices: "
                "choose adjustment='raw' or adjustment='adjusted' (CLI: --raw or --adjusted)"
            )
        adjustment = Adjustment.RAW
    adjustment = parse_adjustment(adjustment)
    out = bars.loc[:, list(OHLCV)].copy()
    if adjustment is Adjustment.ADJUSTED:
        if not has_adj:
            raise DataError(f"{symbol or 'this series'} has no adjusted prices (no adj_close): use 'raw'")
        factor = bars[ADJ_CLOSE] / bars["close"]
        for column in PRICE_COLUMNS:
            out[column] = out[column] * factor
        out["volume"] = out["volume"] / factor
    out.attrs = {**bars.attrs, "adjustment": str(adjustment)}
    return out
