"""Answers of the market data endpoints."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class BarOut(BaseModel):
    ts: datetime
    open: float
    high: float
    low: float
    close: float
    volume: float


class BarsOut(BaseModel):
    symbol: str
    timeframe: str
    adjustment: str | None
    bars: list[BarOut]
