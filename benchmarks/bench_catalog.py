"""Catalog read speed: 1,000,000 one-minute bars (target ≤ 50 ms warm).

python benchmarks/bench_catalog.py [--bars 1000000] [--repeat 20]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from quantdesk.data.catalog import Catalog, SeriesMeta
from quantdesk.data.synthetic import synthetic_bars


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    bars = synthetic_bars(args.bars, freq="1min", seed=1, symbol="SYNTH")
    with tempfile.TemporaryDirectory() as tmp:
        catalog = Catalog(Path(tmp))
        started = time.perf_counter()
        catalog.write("SYNTH", "1m", bars, SeriesMeta("24/7", "synthetic", "benchmark", synthetic=True))
        write_s = time.perf_counter() - started
        size = catalog.path("SYNTH", "1m").stat().st_size
        catalog.read("SYNTH", "1m", adjustment="raw")  # warm: page cache, pyarrow pools
        full, window = [], []
        for _ in range(args.repeat):
            started = time.perf_counter()
            frame = catalog.read("SYNTH", "1m", adjustment="raw")
            full.append(time.perf_counter() - started)
            mid = frame.index[len(frame) // 2]
            started = time.perf_counter()
            catalog.read("SYNTH", "1m", mid, mid + (frame.index[1] - frame.index[0]) * 99_999, adjustment="raw")
            window.append(time.perf_counter() - started)
        assert len(frame) == args.bars
    print(f"catalog write {args.bars:,} bars: {write_s * 1e3:.0f} ms ({size / 2**20:.1f} MiB on disk)")
    print(
        f"catalog read {args.bars:,} bars, warm: median {statistics.median(full) * 1e3:.1f} ms, "
        f"best {min(full) * 1e3:.1f} ms (target <= 50 ms)"
    )
    print(f"catalog read 100,000-bar range of it: median {statistics.median(window) * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
