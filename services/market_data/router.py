"""``/market-data/bars``: one symbol's bars in a timeframe and range."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from services.common.engine import Eng
from services.common.security import CurrentUser
from services.market_data import service
from services.market_data.schemas import BarsOut

router = APIRouter(prefix="/market-data", tags=["market data"])


@router.get("/bars")
def bars(
    _user: CurrentUser,
    engine: Eng,
    symbol: Annotated[str, Query(pattern=r"^[A-Za-z0-9][A-Za-z0-9./_-]{0,31}$")],
    timeframe: Annotated[str, Query(max_length=16)] = "1d",
    start: datetime | None = None,
    end: datetime | None = None,
    adjustment: Literal["raw", "adjusted"] | None = None,
) -> BarsOut:
    """Bars with labels in [start, end] (dates or ISO times, UTC); ``adjustment`` is required for a symbol
    stored with raw and adjusted prices. 404 for a symbol the catalog lacks or a range without bars."""
    return service.bars(engine, symbol, timeframe, start, end, adjustment)
