"""Errors raised by :mod:`quantdesk.data`: a flat list of small classes, all :class:`DataError`."""

# Names say what went wrong (UnknownCalendar), as the rest of the platform does, hence no "Error" suffix.
# ruff: noqa: N818

from __future__ import annotations

from quantdesk.model.errors import QuantdeskError


class DataError(QuantdeskError):
    """Market data, or a request for it, that cannot be used as given."""


class UnknownCalendar(DataError):
    """A trading calendar name that is neither ours nor an exchange_calendars code."""


class UnknownAssetClass(DataError):
    """An asset class with no default trading calendar."""


class InvalidFrequency(DataError):
    """A bar frequency that is unparsable, or unsupported where it was used."""


class InvalidBarFrame(DataError):
    """A frame whose shape (columns, timestamp type) is not that of bar rows at all."""


class SyntheticSymbolError(DataError):
    """Synthetic bars asked for under a symbol that hides their synthetic nature."""


class DataFileError(DataError):
    """A bar file that cannot be read as a whole: missing, unreadable, no usable column, bad timestamps."""


class UnknownSymbol(DataError):
    """A symbol the catalog does not hold."""


class AdjustmentRequired(DataError):
    """A series with raw and adjusted prices read without saying which convention is wanted."""
