"""Bars through the API's bar service: the catalog's values; bad input 422 and missing data 404, each with the
data layer's message."""

from __future__ import annotations

from apitest import *  # noqa: F403 - the API fixtures
from apitest import Api
from tradingtest import members, settings  # noqa: F401 - settings: the bundled catalog

from quantdesk.data.catalog import Catalog


def test_bars_are_the_catalog_s_in_the_adjustment_asked_for(
    api: Api, database_url: str, bundled_catalog: Catalog
) -> None:
    alice = members(api, database_url, "alice")["alice"].access
    for adjustment in ("raw", "adjusted"):
        params = {"symbol": "ibm", "start": "2012-01-01", "end": "2012-01-31", "adjustment": adjustment}
        got = api.get("/market-data/bars", token=alice, params=params)
        assert got.status_code == 200
        body = got.json()
        assert (body["symbol"], body["timeframe"], body["adjustment"]) == ("IBM", "1d", adjustment)
        stored = bundled_catalog.read("IBM", "1d", "2012-01-01", "2012-01-31", adjustment=adjustment)
        assert [b["ts"][:10] for b in body["bars"]] == [f"{ts:%Y-%m-%d}" for ts in stored.index]
        assert [b["close"] for b in body["bars"]] == stored["close"].tolist()
        assert [b["volume"] for b in body["bars"]] == stored["volume"].tolist()
    hourly = api.get("/market-data/bars", token=alice,
                     params={"symbol": "EURUSD", "timeframe": "1h", "start": "2017-01-02T00:00:00",
                             "end": "2017-01-02T05:00:00"}).json()  # fmt: skip
    assert [b["ts"] for b in hourly["bars"]][:2] == ["2017-01-02T00:00:00Z", "2017-01-02T01:00:00Z"]


def test_missing_data_is_404_and_bad_input_422_with_the_reason(api: Api, database_url: str) -> None:
    alice = members(api, database_url, "alice")["alice"].access
    cases = [
        ({"symbol": "ZZZ"}, 404, "no bars for ZZZ in the catalog (it holds AAPL, EURUSD, GOOG, IBM, MSFT)"),
        ({"symbol": "IBM", "start": "2031-01-01", "adjustment": "raw"}, 404,
         "no IBM 1d bars between 2031-01-01 00:00:00+00:00 and the end"),
        ({"symbol": "IBM"}, 422,
         "IBM has both raw and adjusted prices: choose adjustment='raw' or adjustment='adjusted' "
         "(CLI: --raw or --adjusted)"),
        ({"symbol": "IBM", "timeframe": "7x"}, 422,
         "invalid timeframe '7x': unknown unit 'x'; valid examples: 1m, 5m, 15m, 30m, 1h, 4h, 1d, 1w"),
        ({"symbol": "IBM", "start": "2012-02-01", "end": "2012-01-01"}, 422,
         "empty date range: start 2012-02-01T00:00:00+00:00 is after end 2012-01-01T00:00:00+00:00"),
    ]  # fmt: skip
    for params, status, detail in cases:
        got = api.get("/market-data/bars", token=alice, params=params)
        assert (got.status_code, got.json()["detail"]) == (status, detail), params
    for params in ({"symbol": "IBM", "start": "someday"}, {"symbol": "I B M"}, {"symbol": "IBM", "adjustment": "x"}):
        assert api.get("/market-data/bars", token=alice, params=params).status_code == 422
    assert api.get("/market-data/bars", params={"symbol": "IBM"}).status_code == 401
