"""The error of the portfolio: a ledger asked for something its state or its inputs cannot give."""

from __future__ import annotations

from quantdesk.model.errors import QuantdeskError


class PortfolioError(QuantdeskError):
    """A missing mark for a held symbol, a conflicting trade id, an out-of-order snapshot, a float amount..."""
