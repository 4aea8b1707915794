"""One OHLCV bar of one symbol."""

from dataclasses import dataclass
from datetime import datetime

from quantdesk.model._values import instance, utc
from quantdesk.model.ids import Symbol
from quantdesk.model.timeframe import Timeframe


@dataclass(frozen=True, slots=True)
class Bar:
    """A bar labelled by ``ts``, its open time in UTC (the session date at midnight UTC for daily bars).

    Prices are floats, as in research frames; their sanity (high >= low, > 0) is checked by the data layer.
    """

    symbol: Symbol
    timeframe: Timeframe
    ts: datetime
    open: float
    high: float
    low: float
    close: float
    volume: float

    def __post_init__(self) -> None:
        instance(self.symbol, Symbol, "Bar.symbol")
        instance(self.timeframe, Timeframe, "Bar.timeframe")
        object.__setattr__(self, "ts", utc(self.ts, "Bar.ts"))
