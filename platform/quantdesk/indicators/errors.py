"""The error raised for arguments an indicator cannot accept (a bad window, misaligned inputs...)."""

from __future__ import annotations

from quantdesk.model.errors import QuantdeskError


class IndicatorError(QuantdeskError, ValueError):
    """An indicator was called with an argument it cannot use: a window < 1, misaligned inputs, text."""
