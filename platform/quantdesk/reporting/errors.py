"""The error raised for inputs a metric cannot be computed from (empty or non-finite equity, bad sizes...)."""

from __future__ import annotations

from quantdesk.model.errors import QuantdeskError


class MetricsError(QuantdeskError, ValueError):
    """Metrics were asked of something they cannot use: no bars, NaN equity, a cash amount <= 0..."""
