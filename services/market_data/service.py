"""Bars through the app's :class:`~quantdesk.data.retrieval.BarService`: bad input answers 422, a symbol
the catalog does not hold or a range without bars 404, each with the data layer's message."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from quantdesk.data.errors import AdjustmentRequired, DataError
from quantdesk.model import QuantdeskError, Timeframe
from services.common.engine import Engine
from services.common.errors import NotFound, Unprocessable
from services.market_data.schemas import BarOut, BarsOut

MAX_BARS = 100_000


def bars(
    engine: Engine, symbol: str, timeframe: str, start: datetime | None, end: datetime | None, adjustment: str | None
) -> BarsOut:
    try:
        frame_tf = str(Timeframe.parse(timeframe))
    except QuantdeskError as exc:
        raise Unprocessable(str(exc)) from None
    lo, hi = _utc(start), _utc(end)
    if lo is not None and hi is not None and lo > hi:
        raise Unprocessable(f"empty date range: start {lo.isoformat()} is after end {hi.isoformat()}")
    try:
        frame = engine.bars().bars(symbol, frame_tf, lo, hi, adjustment=adjustment)
    except AdjustmentRequired as exc:
        raise Unprocessable(str(exc)) from None
    except DataError as exc:
        raise NotFound(str(exc)) from None
    except QuantdeskError as exc:
        raise Unprocessable(str(exc)) from None
    if len(frame) > MAX_BARS:
        raise Unprocessable(f"{len(frame)} bars asked for; at most {MAX_BARS} at a time: narrow start and end")
    rows = [
        BarOut(ts=ts, open=o, high=h, low=lo_, close=c, volume=v)
        for ts, o, h, lo_, c, v in zip(
            frame.index, frame["open"], frame["high"], frame["low"], frame["close"], frame["volume"], strict=True
        )
    ]
    return BarsOut(symbol=symbol.upper(), timeframe=frame_tf, adjustment=frame.attrs.get("adjustment"), bars=rows)


def _utc(value: datetime | None) -> pd.Timestamp | None:
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
