"""Time bar validation on synthetic one-minute bars (default 1,000,000 bars on the 24/7 calendar).

    python benchmarks/bench_validation.py [--rows N] [--repeats R] [--calendar 24/7|XNYS|FX] [--freq 1min]

Prints the synthetic generation time and validate()'s throughput in rows per second (best and median of
the repeats; the first, cold call builds and caches calendar labels and is reported apart).
"""

from __future__ import annotations

import argparse
import statistics
import time

from quantdesk.data.calendars import get_calendar
from quantdesk.data.synthetic import synthetic_bars
from quantdesk.data.validation import validate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="bars to generate and validate")
    parser.add_argument("--repeats", type=int, default=7, help="timed validate() calls after the cold one")
    parser.add_argument("--calendar", default="24/7", help="calendar of the bars and of the check")
    parser.add_argument("--freq", default="1min", help="bar frequency, a pandas offset string")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    bars = synthetic_bars(args.rows, freq=args.freq, calendar=args.calendar)
    generated = time.perf_counter() - started
    calendar = get_calendar(args.calendar)
    print(f"synthetic_bars: {args.rows:,} {args.freq} bars on {args.calendar} in {generated:.3f} s")

    started = time.perf_counter()
    report = validate(bars, freq=args.freq, calendar=calendar)
    cold = time.perf_counter() - started
    print(f"validate (cold): {cold:.3f} s, {args.rows / cold:,.0f} rows/s; {'; '.join(report.summary_lines())}")

    times = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        validate(bars, freq=args.freq, calendar=calendar)
        times.append(time.perf_counter() - started)
    best, median = min(times), statistics.median(times)
    print(
        f"validate (warm, {args.repeats} repeats): best {best:.3f} s = {args.rows / best:,.0f} rows/s, "
        f"median {median:.3f} s = {args.rows / median:,.0f} rows/s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
