"""Lookahead detection: a target computed on truncated history must equal the full-history target there.

For sampled bars t, ``target(bars[: t + 1])`` at t is compared with ``target(bars)`` at t. Any difference
means the strategy used bars after t to decide at t (lookahead bias); promotion refuses such a strategy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from quantdesk.strategy.base import Strategy


@dataclass(frozen=True)
class CausalityReport:
    """The outcome of :func:`check_causality`: ``ok``, the first leaking bar and what differed there."""

    checked: tuple[pd.Timestamp, ...]
    first_leak: pd.Timestamp | None = None
    full: dict[str, float] = field(default_factory=dict)
    truncated: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.first_leak is None

    def summary(self) -> str:
        if self.ok:
            return f"causal: {len(self.checked)} sampled bars agree on truncated history"
        return (
            f"lookahead at {self.first_leak}: full history gives {self.full}, "
            f"history up to that bar gives {self.truncated}"
        )


def check_causality(
    strategy: Strategy[Any], bars: pd.DataFrame, *, samples: int = 20, seed: int = 0, tolerance: float = 1e-9
) -> CausalityReport:
    """Recompute ``strategy.target`` on truncated history at ``samples`` bars after the warmup.

    The sampled bars are spread over the history (the last bar always included) and checked in time order,
    so the report names the first bar where the future leaked in.
    """
    strategy.check_history(bars)
    full = strategy.target(bars)
    start = max(strategy.warmup - 1, 0)
    candidates = np.arange(start, len(bars))
    rng = np.random.default_rng(seed)
    count = min(samples, len(candidates))
    chosen = np.unique(np.r_[rng.choice(candidates[:-1], size=max(count - 1, 0), replace=False), candidates[-1]])
    checked = []
    for position in chosen:
        ts = bars.index[position]
        checked.append(ts)
        truncated = strategy.target(bars.iloc[: position + 1]).iloc[-1]
        expected = full.iloc[position]
        if not _same(expected.to_numpy(float), truncated.to_numpy(float), tolerance):
            return CausalityReport(tuple(checked), ts, expected.to_dict(), truncated.to_dict())
    return CausalityReport(tuple(checked))


def _same(a: np.ndarray, b: np.ndarray, tolerance: float) -> bool:
    both_nan = np.isnan(a) & np.isnan(b)
    close = np.isclose(a, b, rtol=tolerance, atol=tolerance)
    return bool(np.all(both_nan | close))
