"""Trading calendars: which bar labels a venue prints, for the session and gap checks of validation.

Labels follow :mod:`quantdesk.data.frames`: intraday bars are labelled by their open time on a grid anchored
at the Unix epoch (as :meth:`pandas.Timestamp.floor` does), daily bars by the session date at midnight UTC.
An intraday bar is open when any minute inside it is a trading minute. Bars coarser than a day are not
modelled here (:func:`quantdesk.data.validation.validate` skips session and gap checks for them).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.tseries.frequencies import to_offset
from pandas.tseries.offsets import Week

from quantdesk.data.errors import InvalidFrequency, UnknownAssetClass, UnknownCalendar
from quantdesk.data.frames import INDEX_NAME

if TYPE_CHECKING:
    import exchange_calendars

DAY_NS = 86_400 * 10**9
MINUTE_NS = 60 * 10**9
NAT_NS = np.iinfo(np.int64).min
FX = "FX"
ALWAYS_OPEN = "24/7"
_FX_ZONE = "America/New_York"
_FX_CUTOFF_NS = 17 * 3600 * 10**9  # the FX week opens Sunday and closes Friday at 17:00 New York time
_BASE_YEARS = (1990, 2035)  # every exchange calendar spans at least these years; wider data widens it
_YEARS = (1900, 2100)  # labels outside these years are closed on exchanges (no calendar is built)
_ASSET_CALENDARS = {"equity": "XNYS", "fx": FX, "crypto": ALWAYS_OPEN, "synthetic": ALWAYS_OPEN}

Freq = str | pd.Timedelta
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


class TradingCalendar(Protocol):
    """The bars a venue prints: the expected labels of a complete feed, and whether a label is possible."""

    @property
    def name(self) -> str: ...

    def expected_labels(self, start: pd.Timestamp, end: pd.Timestamp, freq: Freq) -> pd.DatetimeIndex:
        """Every bar label a complete feed would have between ``start`` and ``end`` inclusive (UTC)."""
        ...

    def is_open(self, labels: pd.DatetimeIndex, freq: Freq) -> BoolArray:
        """Whether each label is a bar the venue could have printed (on the freq grid, in a session)."""
        ...


def parse_freq(freq: Freq) -> pd.Timedelta:
    """A bar frequency ("1min", "1h", "1D", "1W" or a Timedelta) as a positive Timedelta."""
    try:
        step = pd.Timedelta(freq)
    except (ValueError, TypeError):
        step = _offset_length(freq)
    if pd.isna(step) or step <= pd.Timedelta(0):
        raise InvalidFrequency(f"bar frequency must be positive, got {freq!r}")
    return step


def _offset_length(freq: Freq) -> pd.Timedelta:
    try:
        offset = to_offset(freq)
    except (ValueError, TypeError):
        raise InvalidFrequency(f"unknown bar frequency {freq!r}: use e.g. 1min, 5min, 1h, 1D") from None
    if isinstance(offset, Week):  # an anchored week ("W-FRI") still spans seven days
        return pd.Timedelta(days=7 * offset.n)
    try:
        return pd.Timedelta(offset.nanos, unit="ns")
    except ValueError:  # months, business days: no fixed length, so no grid of labels
        raise InvalidFrequency(f"bar frequency {freq!r} has no fixed length: use e.g. 1min, 1h, 1D, 1W") from None


def _step_ns(freq: Freq) -> int:
    step = int(parse_freq(freq).value)
    if step > DAY_NS:
        raise InvalidFrequency(f"trading calendars model intraday and daily bars, not {freq!r}")
    return step


def _utc_ns(ts: pd.Timestamp | str) -> int:
    stamp = pd.Timestamp(ts)
    stamp = stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")  # naive means UTC
    return int(stamp.as_unit("ns").value)


def labels_ns(labels: pd.DatetimeIndex | pd.Series) -> IntArray:
    """Labels as int64 UTC nanoseconds (NaT as ``NAT_NS``); a naive label is read as UTC."""
    index = pd.DatetimeIndex(labels)
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    return np.asarray(index.as_unit("ns").asi8, dtype=np.int64)


def labels_index(ns: IntArray) -> pd.DatetimeIndex:
    """int64 UTC nanoseconds as a UTC DatetimeIndex named ``ts``."""
    return pd.DatetimeIndex(ns.astype("datetime64[ns]"), name=INDEX_NAME).tz_localize("UTC")


def _grid(lo: int, hi: int, step: int) -> IntArray:
    first = -(-lo // step) * step
    # integer count: np.arange sizes int ranges in float64, which drops the end label of long ranges
    return first + step * np.arange(max(0, (hi - first) // step + 1), dtype=np.int64)


def _checked(labels: pd.DatetimeIndex, step: int) -> tuple[IntArray, BoolArray]:
    ns = labels_ns(labels)
    return ns, (ns != NAT_NS) & (ns % step == 0)


def _members(ns: IntArray, table: IntArray) -> BoolArray:
    if not len(table):
        return np.zeros(len(ns), dtype=bool)
    pos = np.minimum(np.searchsorted(table, ns), len(table) - 1)
    return np.asarray(table[pos] == ns)


@dataclass(frozen=True)
class AlwaysOpen:
    """Open every minute of every day: crypto and synthetic data."""

    name: str = field(default=ALWAYS_OPEN, init=False)

    def expected_labels(self, start: pd.Timestamp, end: pd.Timestamp, freq: Freq) -> pd.DatetimeIndex:
        return labels_index(_grid(_utc_ns(start), _utc_ns(end), _step_ns(freq)))

    def is_open(self, labels: pd.DatetimeIndex, freq: Freq) -> BoolArray:
        return _checked(labels, _step_ns(freq))[1]


@dataclass(frozen=True)
class FX24x5:
    """Spot FX: Sunday 17:00 to Friday 17:00 New York time (DST-aware), no holidays; daily bars Mon..Fri."""

    name: str = field(default=FX, init=False)

    def expected_labels(self, start: pd.Timestamp, end: pd.Timestamp, freq: Freq) -> pd.DatetimeIndex:
        step = _step_ns(freq)
        grid = _grid(_utc_ns(start), _utc_ns(end), step)
        return labels_index(grid[_fx_open(grid, step)])

    def is_open(self, labels: pd.DatetimeIndex, freq: Freq) -> BoolArray:
        step = _step_ns(freq)
        ns, aligned = _checked(labels, step)
        aligned[aligned] = _fx_open(ns[aligned], step)
        return aligned


def _fx_open(ns: IntArray, step: int) -> BoolArray:
    if step == DAY_NS:
        return np.asarray((ns // DAY_NS + 3) % 7 < 5)  # 1970-01-01 was a Thursday (weekday 3)
    # the weekend is longer than any intraday bar, so a bar touches the open week iff one of its ends does
    return _fx_trading(ns) | _fx_trading(ns + step - 1)


def _fx_trading(ns: IntArray) -> BoolArray:
    wall = labels_index(ns).tz_convert(_FX_ZONE).tz_localize(None).as_unit("ns").asi8
    weekday, time_of_day = (wall // DAY_NS + 3) % 7, wall % DAY_NS
    friday, sunday = (
        (weekday == 4) & (time_of_day < _FX_CUTOFF_NS),
        (weekday == 6) & (time_of_day >= _FX_CUTOFF_NS),
    )
    return np.asarray((weekday <= 3) | friday | sunday)


@dataclass(frozen=True)
class ExchangeCalendar:
    """An exchange_calendars venue such as XNYS: holidays, early closes and lunch breaks included.

    Intraday labels are the trading minutes floored to the frequency (which must be whole minutes); daily
    labels are the sessions. The underlying calendar is built on first use and cached.
    """

    name: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", _exchange_code(self.name))

    def expected_labels(self, start: pd.Timestamp, end: pd.Timestamp, freq: Freq) -> pd.DatetimeIndex:
        lo, hi = _utc_ns(start), _utc_ns(end)
        table = self._labels(range(pd.Timestamp(lo).year, pd.Timestamp(hi).year + 1), _step_ns(freq))
        return labels_index(table[np.searchsorted(table, lo) : np.searchsorted(table, hi, side="right")])

    def is_open(self, labels: pd.DatetimeIndex, freq: Freq) -> BoolArray:
        step = _step_ns(freq)
        ns, aligned = _checked(labels, step)
        if aligned.any():
            candidates = ns[aligned]
            years = np.unique(candidates.astype("datetime64[ns]").astype("datetime64[Y]")).astype(int) + 1970
            aligned[aligned] = _members(candidates, self._labels(years.tolist(), step))
        return aligned

    def _labels(self, years: Iterable[int], step: int) -> IntArray:
        if step != DAY_NS and step % MINUTE_NS:
            raise InvalidFrequency(f"{self.name} bars must be whole minutes or 1D, not {pd.Timedelta(step)}")
        # built year by year, so one mistyped year in the data costs that year only, and absurd years nothing
        tables = [_exchange_year(self.name, step, y) for y in years if _YEARS[0] <= y <= _YEARS[1]]
        if not tables:
            return np.array([], dtype=np.int64)
        joined = np.concatenate(tables)
        return joined[np.r_[True, np.diff(joined) != 0]] if len(joined) else joined


@lru_cache(maxsize=64)
def _exchange_year(code: str, step: int, year: int) -> IntArray:
    """The sorted labels of one UTC year, read-only because the cache shares them."""
    with _vendor_quiet():  # building and querying the vendor calendar both warn
        cal = _exchange(code, min(_BASE_YEARS[0], year // 10 * 10), max(_BASE_YEARS[1], year // 10 * 10 + 9))
        start, stop = pd.Timestamp(f"{year}-01-01"), pd.Timestamp(f"{year + 1}-01-01")
        if step == DAY_NS:
            lo, hi = max(start, cal.first_session), min(stop - pd.Timedelta(days=1), cal.last_session)
            found = cal.sessions_in_range(lo, hi) if lo <= hi else pd.DatetimeIndex([], dtype="M8[ns]")
        else:
            # minutes just past the year end may still belong to its last bar
            lo = max(start.tz_localize("UTC"), cal.first_minute)
            hi = min(stop.tz_localize("UTC") + pd.Timedelta(step - MINUTE_NS), cal.last_minute)
            found = cal.minutes_in_range(lo, hi) if lo <= hi else pd.DatetimeIndex([], dtype="M8[ns, UTC]")
    labels = np.asarray(found.as_unit("ns").asi8, dtype=np.int64)
    labels = labels - labels % step
    labels = labels[(labels < stop.tz_localize("UTC").value) & np.r_[True, np.diff(labels) != 0]]
    labels.setflags(write=False)
    return labels


@lru_cache(maxsize=8)
def _exchange(code: str, first_year: int, last_year: int) -> exchange_calendars.ExchangeCalendar:
    import exchange_calendars as xc

    start, end = pd.Timestamp(f"{first_year}-01-01"), pd.Timestamp(f"{last_year}-12-31")
    try:
        return xc.get_calendar(code, start=start, end=end, side="left")
    except ValueError:  # a few venues are only defined over a bounded span: clamp to it
        kind = type(xc.get_calendar(code))
        lo, hi = kind.bound_min(), kind.bound_max()
        start, end = max(start, lo) if lo is not None else start, min(end, hi) if hi is not None else end
        return xc.get_calendar(code, start=start, end=end, side="left")


@contextmanager
def _vendor_quiet() -> Iterator[None]:
    # exchange_calendars still reads tz-aware ``.values``, which pandas 3.1 deprecates; nothing we can act on
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*\.values returning an ndarray that drops timezone")
        yield


def _exchange_code(code: str) -> str:
    import exchange_calendars as xc

    names = set(xc.get_calendar_names(include_aliases=True))
    for candidate in (code, code.upper()):
        if candidate in names:
            return str(xc.resolve_alias(candidate))
    codes = ", ".join(sorted(set(xc.get_calendar_names(include_aliases=False)) - {ALWAYS_OPEN}))
    raise UnknownCalendar(f"unknown trading calendar {code!r}: use {FX} (24x5 forex), {ALWAYS_OPEN}, or one of {codes}")


def get_calendar(name: str) -> TradingCalendar:
    """The calendar called ``name``: "FX" (24x5), "24/7", or an exchange_calendars code such as "XNYS"."""
    if name.upper() == FX:
        return FX24x5()
    if name == ALWAYS_OPEN:
        return AlwaysOpen()
    return ExchangeCalendar(name)


def calendar_for_asset(asset_class: str) -> TradingCalendar:
    """The default calendar of an asset class: equity→XNYS, fx→FX, crypto and synthetic→24/7."""
    name = _ASSET_CALENDARS.get(asset_class.lower())
    if name is None:
        raise UnknownAssetClass(f"unknown asset class {asset_class!r}: use one of {', '.join(_ASSET_CALENDARS)}")
    return get_calendar(name)
