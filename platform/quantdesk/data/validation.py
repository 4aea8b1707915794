"""Bar validation: split raw rows into clean bars and a quarantine that names every defect, and find gaps.

Nothing is dropped silently: every input row ends up either in ``clean`` or in ``quarantine`` (with all its
defects), and missing bars are listed as gaps against the trading calendar.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
import pandas as pd

from quantdesk.data.calendars import (
    DAY_NS,
    NAT_NS,
    BoolArray,
    Freq,
    IntArray,
    TradingCalendar,
    labels_index,
    labels_ns,
    parse_freq,
)
from quantdesk.data.errors import InvalidBarFrame
from quantdesk.data.frames import ADJ_CLOSE, INDEX_NAME, OHLCV, PRICE_COLUMNS

FloatArray = np.ndarray[tuple[int], np.dtype[np.float64]]


class Defect(StrEnum):
    """A kind of bad bar; the values are stable and appear in reports and CLI output."""

    MISSING_VALUE = "missing_value"
    NON_POSITIVE_PRICE = "non_positive_price"
    HIGH_BELOW_OPEN_CLOSE = "high_below_open_close"
    LOW_ABOVE_OPEN_CLOSE = "low_above_open_close"
    HIGH_BELOW_LOW = "high_below_low"
    NEGATIVE_VOLUME = "negative_volume"
    DUPLICATE_TIMESTAMP = "duplicate_timestamp"
    OUT_OF_ORDER = "out_of_order"
    OUTSIDE_SESSION = "outside_session"
    GAP = "gap"


ROW_DEFECTS: tuple[Defect, ...] = tuple(d for d in Defect if d is not Defect.GAP)


@dataclass(frozen=True, eq=False)
class ValidationReport:
    """The outcome of :func:`validate`; ``len(clean) + len(quarantine) == rows_in`` always holds.

    ``quarantine`` has one row per bad input row: ``row`` (0-based input position), ``ts``, the raw values
    and ``reason`` (its defects joined by ";"). ``gaps`` has ``start``, ``end`` (first and last missing
    label) and ``missing``. ``counts`` holds every kind: rows for row defects, missing bars for ``gap``.
    """

    clean: pd.DataFrame
    quarantine: pd.DataFrame
    gaps: pd.DataFrame
    counts: dict[Defect, int]
    rows_in: int

    @property
    def ok(self) -> bool:
        """No defect of any kind, gaps included."""
        return not any(self.counts.values())

    def summary_lines(self) -> list[str]:
        """One line per defect kind found (e.g. "gap: 15 missing bars in 2 gaps"), or one "ok" line."""
        lines = [f"{d}: {_plural(self.counts[d], 'row')}" for d in ROW_DEFECTS if self.counts[d]]
        if self.counts[Defect.GAP]:
            missing = _plural(self.counts[Defect.GAP], "missing bar")
            lines.append(f"{Defect.GAP}: {missing} in {_plural(len(self.gaps), 'gap')}")
        return lines or [f"ok: {_plural(self.rows_in, 'row')}, no defects"]


def validate(frame: pd.DataFrame, *, freq: Freq, calendar: TradingCalendar | None) -> ValidationReport:
    """Check bar rows in file order (``ts`` column or index, tz-aware) against ``freq`` and ``calendar``.

    With ``calendar=None`` labels are only checked against the ``freq`` grid and no gaps are searched.
    Bars coarser than a day are checked for a midnight label only (calendars do not model them).
    Non-finite values count as ``missing_value``; a present ``adj_close`` is checked like a price.
    """
    ts, values = _read(frame)
    ns, beyond = _nanoseconds(ts)
    step = int(parse_freq(freq).value)
    # a stable sort keeps file order among equal labels, so the first occurrence is the one kept
    order = np.argsort(ns, kind="stable")
    masks = _row_defects(ns, beyond, order, values, step, freq, calendar)
    codes = np.zeros(len(ns), dtype=np.uint16)
    for bit, defect in enumerate(ROW_DEFECTS):
        np.bitwise_or(codes, np.uint16(1 << bit), out=codes, where=masks[defect])
    good = order[codes[order] == 0]
    clean = pd.DataFrame({c: v[good] for c, v in values.items()}, index=labels_index(ns[good]))
    clean.attrs = {**frame.attrs, "timeframe": frame.attrs.get("timeframe", str(freq))}
    # a gap is a bar the source never had: labels of quarantined rows are accounted for by the quarantine
    in_file = ns[order][((ns != NAT_NS) & ~masks[Defect.OUTSIDE_SESSION])[order]]
    present = in_file[np.r_[True, in_file[1:] != in_file[:-1]]] if len(in_file) else in_file
    gaps = _gaps(present, step, freq, calendar)
    counts = {d: int(np.count_nonzero(masks[d])) for d in ROW_DEFECTS}
    counts[Defect.GAP] = int(gaps["missing"].sum())
    return ValidationReport(clean, _quarantine(ts, values, codes), gaps, counts, len(ns))


def _read(frame: pd.DataFrame) -> tuple[pd.DatetimeIndex, dict[str, FloatArray]]:
    if INDEX_NAME in frame.columns:
        raw = frame[INDEX_NAME]
    elif isinstance(frame.index, pd.DatetimeIndex):
        raw = frame.index
    else:
        raise InvalidBarFrame(f"bars need a {INDEX_NAME!r} column or a DatetimeIndex")
    if not isinstance(raw.dtype, pd.DatetimeTZDtype):
        raise InvalidBarFrame(f"{INDEX_NAME!r} must hold tz-aware datetimes (UTC), not {raw.dtype}")
    absent = [c for c in OHLCV if c not in frame.columns]
    if absent:
        raise InvalidBarFrame(f"bars lack the column(s) {', '.join(absent)}")
    columns = [*OHLCV, ADJ_CLOSE] if ADJ_CLOSE in frame.columns else list(OHLCV)
    try:
        values = {c: frame[c].to_numpy(dtype=np.float64, na_value=np.nan) for c in columns}
    except (TypeError, ValueError) as exc:
        raise InvalidBarFrame(f"bar values must be numbers: {exc}") from None
    return pd.DatetimeIndex(raw).tz_convert("UTC"), values


def _nanoseconds(ts: pd.DatetimeIndex) -> tuple[IntArray, BoolArray]:
    # pandas 3 parses to microseconds, so a mistyped year (2924) can lie beyond int64 nanoseconds:
    # such a label becomes NaT here and is reported as outside_session, not as a crash
    if ts.unit == "ns":
        return labels_ns(ts), np.zeros(len(ts), dtype=bool)
    first, last = pd.Timestamp.min.tz_localize("UTC"), pd.Timestamp.max.tz_localize("UTC")
    beyond = np.asarray((ts < first) | (ts > last))
    return labels_ns(ts.where(~beyond)), beyond


def _row_defects(
    ns: IntArray,
    beyond: BoolArray,
    order: IntArray,
    values: dict[str, FloatArray],
    step: int,
    freq: Freq,
    calendar: TradingCalendar | None,
) -> dict[Defect, BoolArray]:
    o, h, low, c, v = (values[k] for k in OHLCV)
    prices = [values[k] for k in (*PRICE_COLUMNS, ADJ_CLOSE) if k in values]
    valid = ns != NAT_NS
    missing = ~valid & ~beyond
    for column in values.values():
        missing |= ~np.isfinite(column)
    non_positive = np.zeros(len(ns), dtype=bool)
    for price in prices:
        non_positive |= price <= 0
    ordered = ns[order]
    duplicate = np.empty(len(ns), dtype=bool)
    duplicate[order] = np.r_[False, ordered[1:] == ordered[:-1]] & (ordered != NAT_NS)
    earlier_max = np.empty_like(ns)
    earlier_max[:1] = NAT_NS  # NaT is the smallest int64, so it never raises the running maximum
    earlier_max[1:] = np.maximum.accumulate(ns)[:-1]
    return {
        Defect.MISSING_VALUE: missing,
        Defect.NON_POSITIVE_PRICE: non_positive,
        Defect.HIGH_BELOW_OPEN_CLOSE: h < np.maximum(o, c),
        Defect.LOW_ABOVE_OPEN_CLOSE: low > np.minimum(o, c),
        Defect.HIGH_BELOW_LOW: h < low,
        Defect.NEGATIVE_VOLUME: v < 0,
        Defect.DUPLICATE_TIMESTAMP: duplicate,
        Defect.OUT_OF_ORDER: valid & (ns < earlier_max) & ~duplicate,
        Defect.OUTSIDE_SESSION: (valid & ~_open(ns, valid, step, freq, calendar)) | beyond,
    }


def _open(ns: IntArray, valid: BoolArray, step: int, freq: Freq, calendar: TradingCalendar | None) -> BoolArray:
    if step > DAY_NS:
        return np.asarray(ns % DAY_NS == 0)
    if calendar is None:
        return np.asarray(ns % step == 0)
    is_open = np.zeros(len(ns), dtype=bool)
    all_valid = bool(valid.all())
    labels = labels_index(ns if all_valid else ns[valid])
    if all_valid:
        is_open[:] = calendar.is_open(labels, freq)
    else:
        is_open[valid] = calendar.is_open(labels, freq)
    return is_open


def _gaps(present: IntArray, step: int, freq: Freq, calendar: TradingCalendar | None) -> pd.DataFrame:
    runs = np.empty((3, 0), dtype=np.int64)
    if calendar is not None and step <= DAY_NS and len(present) > 1:
        first, last = labels_index(present[[0, -1]])
        expected = labels_ns(calendar.expected_labels(first, last, freq))
        found = np.zeros(len(expected), dtype=bool)
        if len(expected):
            pos = np.minimum(np.searchsorted(expected, present), len(expected) - 1)
            found[pos[expected[pos] == present]] = True
        absent = np.flatnonzero(~found)
        if len(absent):
            breaks = np.flatnonzero(np.diff(absent) != 1) + 1
            first_i, last_i = np.r_[0, breaks], np.r_[breaks - 1, len(absent) - 1]
            runs = np.vstack([expected[absent[first_i]], expected[absent[last_i]], last_i - first_i + 1])
    return pd.DataFrame({"start": labels_index(runs[0]), "end": labels_index(runs[1]), "missing": runs[2]})


def _quarantine(ts: pd.DatetimeIndex, values: dict[str, FloatArray], codes: np.ndarray) -> pd.DataFrame:
    rows = np.flatnonzero(codes)
    kinds, which = np.unique(codes[rows], return_inverse=True)
    names = [";".join(d.value for bit, d in enumerate(ROW_DEFECTS) if int(k) >> bit & 1) for k in kinds]
    reasons = pd.array(np.asarray(names, dtype=object)[which] if len(rows) else [], dtype="str")
    table = {"row": rows.astype(np.int64), INDEX_NAME: ts[rows].rename(None)}
    return pd.DataFrame({**table, **{c: v[rows] for c, v in values.items()}, "reason": reasons})


def write_quarantine(report: ValidationReport, path: Path | str) -> Path:
    """Write the quarantined rows, then one "gap" row per gap, to a CSV atomically; returns its path.

    The file is written even when the report is clean (header only), so a report on disk is never stale.
    """
    gaps = report.gaps
    gap_rows = pd.DataFrame(
        {
            INDEX_NAME: gaps["start"],
            "reason": Defect.GAP.value,
            "detail": [
                f"{_plural(int(m), 'missing bar')} from {s.isoformat()} to {e.isoformat()}"
                for s, e, m in zip(gaps["start"], gaps["end"], gaps["missing"], strict=True)
            ],
        }
    )
    rows = report.quarantine.assign(row=report.quarantine["row"].astype("Int64"), detail="")
    table = pd.concat([rows, gap_rows], ignore_index=True) if len(gap_rows) else rows
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
            table.to_csv(handle, index=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
