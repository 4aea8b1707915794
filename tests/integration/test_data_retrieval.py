"""The data retrieval service: catalog reads through an in-process LRU or a Redis cache, never stale."""

from __future__ import annotations

import uuid
from pathlib import Path

import pandas as pd
import pytest
from conftest import server_url

from quantdesk.data.bundle import ensure_bundled
from quantdesk.data.catalog import Catalog, SeriesMeta
from quantdesk.data.errors import DataError
from quantdesk.data.retrieval import BarService, MemoryBarCache, RedisBarCache, create_bar_service

BUNDLE = Path(__file__).resolve().parents[2] / "data" / "bundled"


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    store = Catalog(tmp_path / "catalog")
    ensure_bundled(store, BUNDLE, tmp_path / "quarantine")
    return store


class CountingCatalog(Catalog):
    """The real catalog, counting its reads."""

    reads = 0

    def read(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        type(self).reads += 1
        return super().read(*args, **kwargs)


def test_a_hot_range_is_read_once_and_served_from_memory(catalog: Catalog) -> None:
    counted = CountingCatalog(catalog.root)
    CountingCatalog.reads = 0
    service = BarService(counted, MemoryBarCache())
    first = service.bars("msft", "1d", "2010-01-01", "2010-12-31", adjustment="adjusted")
    second = service.bars("MSFT", "1d", "2010-01-01", "2010-12-31", adjustment="adjusted")
    assert CountingCatalog.reads == 1
    assert len(first) == 252
    pd.testing.assert_frame_equal(first, second)
    assert second.attrs == first.attrs
    second.iloc[0, 0] = -1.0  # a caller's change never reaches the cache
    assert service.bars("MSFT", "1d", "2010-01-01", "2010-12-31", adjustment="adjusted").iloc[0, 0] > 0
    assert (service.cache.hits, service.cache.misses) == (2, 1)  # type: ignore[attr-defined]


def test_an_import_into_the_catalog_is_seen_at_once(catalog: Catalog) -> None:
    service = BarService(catalog, MemoryBarCache())
    before = service.bars("EURUSD", "1h", "2017-12-01")
    extra = before.iloc[[-1]].copy()
    extra.index = extra.index + pd.Timedelta(hours=1)
    catalog.write("EURUSD", "1h", extra, SeriesMeta(calendar="FX", asset_class="fx", source="test"))
    after = service.bars("EURUSD", "1h", "2017-12-01")
    assert len(after) == len(before) + 1
    assert after.index[-1] == extra.index[0]


def test_the_memory_cache_keeps_the_most_recently_used_within_its_bytes(catalog: Catalog) -> None:
    one = catalog.read("AAPL", "1d", "2010-01-01", "2010-12-31", adjustment="raw")
    size = int(one.memory_usage(index=True, deep=True).sum())
    cache = MemoryBarCache(max_bytes=2 * size + size // 2)
    service = BarService(catalog, cache)
    for year in (2010, 2010, 2011, 2010, 2012):  # 2011 is the least recently used when 2012 comes in
        service.bars("AAPL", "1d", f"{year}-01-01", f"{year}-12-31", adjustment="raw")
    assert len(cache) == 2
    assert (cache.hits, cache.misses) == (2, 3)
    service.bars("AAPL", "1d", "2011-01-01", "2011-12-31", adjustment="raw")
    assert cache.misses == 4


def test_unknown_symbol_and_empty_range_are_one_clear_error(catalog: Catalog) -> None:
    service = create_bar_service(catalog)
    with pytest.raises(DataError, match=r"no bars for ZZZ in the catalog \(it holds AAPL, "):
        service.bars("ZZZ")
    with pytest.raises(DataError, match="empty date range: start 2012-01-01 is after end 2011-01-01"):
        service.bars("MSFT", "1d", "2012-01-01", "2011-01-01")
    with pytest.raises(DataError, match="not a date or time: 'soon'"):
        service.bars("MSFT", "1d", "soon")


def test_the_redis_cache_is_shared_between_services(catalog: Catalog) -> None:
    url = server_url("redis")
    prefix = f"qdtest-{uuid.uuid4().hex[:8]}"
    writer = BarService(catalog, RedisBarCache(url, prefix=prefix, ttl=60))
    bars = writer.bars("GOOG", "1d", "2012-01-01", "2012-06-30", adjustment="raw")
    counted = CountingCatalog(catalog.root)
    CountingCatalog.reads = 0
    reader = BarService(counted, RedisBarCache(url, prefix=prefix, ttl=60))  # another process, say
    again = reader.bars("GOOG", "1d", "2012-01-01", "2012-06-30", adjustment="raw")
    assert CountingCatalog.reads == 0
    pd.testing.assert_frame_equal(again, bars, check_freq=False)
    assert again.attrs == bars.attrs
    cache = reader.cache
    assert isinstance(cache, RedisBarCache)
    keys = list(cache._redis.scan_iter(f"{prefix}:bars:*"))
    assert len(keys) == 1
    assert 0 < cache._redis.ttl(keys[0]) <= 60
    cache._redis.delete(*keys)


def test_a_redis_that_is_down_is_a_slow_cache_not_an_error(catalog: Catalog) -> None:
    service = BarService(catalog, RedisBarCache("redis://127.0.0.1:1/0"))  # nothing listens on port 1
    assert len(service.bars("MSFT", "1d", "2012-01-01", "2012-01-31", adjustment="raw")) == 20


def test_bars_from_another_source_are_stored_in_the_catalog_before_they_are_served(catalog: Catalog) -> None:
    from quantdesk.data.retrieval import BarRequest
    from quantdesk.data.synthetic import synthetic_bars

    class History:  # stands in for a broker's history endpoint (outside the machine)
        def __init__(self) -> None:
            self.asked: list[BarRequest] = []

        def fetch(self, request: BarRequest) -> tuple[pd.DataFrame, SeriesMeta]:
            self.asked.append(request)
            bars = synthetic_bars(120, seed=5, symbol=request.symbol, freq="1min")
            return bars, SeriesMeta(calendar="24/7", asset_class="crypto", source="history", synthetic=True)

    history = History()
    service = BarService(catalog, MemoryBarCache(), source=history)
    bars = service.bars("X.SYNTH", "1m")
    assert len(bars) == 120
    assert "X.SYNTH" in catalog.symbols()
    assert catalog.read("X.SYNTH", "1m").equals(bars)
    assert [(r.symbol, r.timeframe) for r in history.asked] == [("X.SYNTH", "1m")]
