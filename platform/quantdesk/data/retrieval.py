"""The data retrieval service: bars for a symbol, timeframe and range, from the catalog, with hot ranges cached.

``BarService.bars(...)`` answers from the cache when it can and reads the catalog otherwise. A cached range is
keyed by what was asked *and* by the version of the symbol's stored series (the files' size and modification
time), so an import into the catalog is seen at once, never hidden behind a stale entry. Two caches:

* :class:`MemoryBarCache` — in-process LRU bounded by bytes (the embedded default);
* :class:`RedisBarCache` — shared by every process on the Redis at ``QUANTDESK_REDIS_URL``, frames stored as
  Arrow IPC with a TTL. A Redis that fails is a slow cache, not an error: the read goes to the catalog.

Other sources (a broker's history, later) plug in as a :class:`BarSource`; bars they fetch are written to the
catalog before they are served, so the catalog stays the one store.
"""

from __future__ import annotations

import io
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd
import pyarrow as pa
import pyarrow.ipc as ipc
import structlog

from quantdesk.data.catalog import Catalog, SeriesMeta
from quantdesk.data.errors import DataError
from quantdesk.model import Symbol, Timeframe

log = structlog.get_logger(__name__)

DEFAULT_MEMORY_BYTES = 256 * 1024 * 1024
DEFAULT_TTL_SECONDS = 3600


@dataclass(frozen=True)
class BarRequest:
    """What is asked: one symbol's bars in one timeframe between two (inclusive, optional) bounds."""

    symbol: str
    timeframe: str
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    adjustment: str | None = None

    @classmethod
    def of(
        cls,
        symbol: str,
        timeframe: str = "1d",
        start: str | pd.Timestamp | None = None,
        end: str | pd.Timestamp | None = None,
        adjustment: str | None = None,
    ) -> BarRequest:
        return cls(str(Symbol(symbol)), str(Timeframe.parse(timeframe)), _ts(start), _ts(end), adjustment)

    def key(self, version: str) -> str:
        bounds = [None if t is None else t.isoformat() for t in (self.start, self.end)]
        return json.dumps([self.symbol, self.timeframe, *bounds, self.adjustment, version])


class BarSource(Protocol):
    """Somewhere bars come from that is not the catalog (a broker's history): fetched, then stored."""

    def fetch(self, request: BarRequest) -> tuple[pd.DataFrame, SeriesMeta]: ...


class BarCache(Protocol):
    def get(self, key: str) -> pd.DataFrame | None: ...
    def put(self, key: str, bars: pd.DataFrame) -> None: ...


class MemoryBarCache:
    """Least recently used frames, up to ``max_bytes`` of them; thread-safe. Callers get copies."""

    def __init__(self, max_bytes: int = DEFAULT_MEMORY_BYTES) -> None:
        self.max_bytes = max_bytes
        self._frames: OrderedDict[str, tuple[pd.DataFrame, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: str) -> pd.DataFrame | None:
        with self._lock:
            found = self._frames.get(key)
            if found is None:
                self.misses += 1
                return None
            self._frames.move_to_end(key)
            self.hits += 1
            return _copy(found[0])

    def put(self, key: str, bars: pd.DataFrame) -> None:
        size = int(bars.memory_usage(index=True, deep=True).sum())
        if size > self.max_bytes:
            return
        with self._lock:
            if key in self._frames:
                self._bytes -= self._frames.pop(key)[1]
            self._frames[key] = (_copy(bars), size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, (_, dropped) = self._frames.popitem(last=False)
                self._bytes -= dropped

    def __len__(self) -> int:
        return len(self._frames)


class RedisBarCache:
    """Frames in Redis as Arrow IPC under ``<prefix>:bars:<key>``, expiring after ``ttl`` seconds."""

    def __init__(
        self, url: str, *, ttl: int = DEFAULT_TTL_SECONDS, prefix: str = "quantdesk", client: Any | None = None
    ) -> None:
        import redis

        self.ttl, self.prefix = ttl, prefix
        self._redis = client or redis.Redis.from_url(url, socket_connect_timeout=2.0, socket_timeout=5.0)
        self._errors = (redis.RedisError, OSError)
        self.hits = self.misses = 0

    def get(self, key: str) -> pd.DataFrame | None:
        try:
            payload = self._redis.get(self._name(key))
        except self._errors as exc:
            log.warning("bar cache unavailable", error=str(exc))
            return None
        if payload is None:
            self.misses += 1
            return None
        self.hits += 1
        return _from_ipc(payload)

    def put(self, key: str, bars: pd.DataFrame) -> None:
        try:
            self._redis.set(self._name(key), _to_ipc(bars), ex=self.ttl)
        except self._errors as exc:
            log.warning("bar cache unavailable", error=str(exc))

    def _name(self, key: str) -> str:
        return f"{self.prefix}:bars:{key}"


class BarService:
    """Bars from the catalog (filled from ``source`` when given), through ``cache``."""

    def __init__(self, catalog: Catalog, cache: BarCache | None = None, source: BarSource | None = None) -> None:
        self.catalog, self.source = catalog, source
        self.cache: BarCache = cache if cache is not None else MemoryBarCache()

    def bars(
        self,
        symbol: str,
        timeframe: str = "1d",
        start: str | pd.Timestamp | None = None,
        end: str | pd.Timestamp | None = None,
        *,
        adjustment: str | None = None,
    ) -> pd.DataFrame:
        """The bars of ``symbol`` in ``timeframe`` with labels in [start, end]; :class:`DataError` if none."""
        request = BarRequest.of(symbol, timeframe, start, end, adjustment)
        if self.source is not None:
            self._fill(request)
        key = request.key(self._version(request.symbol))
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        held = self.catalog.symbols()
        if request.symbol not in held:
            raise DataError(f"no bars for {request.symbol} in the catalog (it holds {', '.join(held) or 'nothing'})")
        bars = self.catalog.read(
            request.symbol, request.timeframe, request.start, request.end, adjustment=request.adjustment
        )
        if bars.empty:
            span = f"between {start or 'the start'} and {end or 'the end'}"
            raise DataError(f"no {request.symbol} {request.timeframe} bars {span}")
        self.cache.put(key, bars)
        return bars

    def _fill(self, request: BarRequest) -> None:
        assert self.source is not None
        fetched, meta = self.source.fetch(request)
        if not fetched.empty:
            self.catalog.write(request.symbol, request.timeframe, fetched, meta)

    def _version(self, symbol: str) -> str:
        """The stored series' size and modification time, over every timeframe held for the symbol."""
        stamps = sorted(
            (str(path.parent.parent.name), path.stat().st_size, path.stat().st_mtime_ns)
            for path in (self.catalog.root / "bars").glob(f"timeframe=*/symbol={symbol}/data.parquet")
        )
        return json.dumps(stamps)


def create_bar_service(
    catalog: Catalog, redis_url: str | None = None, *, memory_bytes: int = DEFAULT_MEMORY_BYTES
) -> BarService:
    """The service with the Redis cache when ``redis_url`` is given, else the in-process one."""
    cache: BarCache = RedisBarCache(redis_url) if redis_url else MemoryBarCache(memory_bytes)
    return BarService(catalog, cache)


def _copy(bars: pd.DataFrame) -> pd.DataFrame:
    out = bars.copy()
    out.attrs = dict(bars.attrs)
    return out


def _to_ipc(bars: pd.DataFrame) -> bytes:
    table = pa.Table.from_pandas(bars, preserve_index=True)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), b"quantdesk": json.dumps(bars.attrs)})
    sink = io.BytesIO()
    with ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def _from_ipc(payload: bytes) -> pd.DataFrame:
    table = ipc.open_stream(io.BytesIO(payload)).read_all()
    bars = table.to_pandas()
    bars.attrs = json.loads((table.schema.metadata or {}).get(b"quantdesk", b"{}"))
    return bars


def _ts(value: str | pd.Timestamp | None) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise DataError(f"not a date or time: {value!r} ({exc})") from None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


__all__ = [
    "BarCache",
    "BarRequest",
    "BarService",
    "BarSource",
    "MemoryBarCache",
    "RedisBarCache",
    "create_bar_service",
]
