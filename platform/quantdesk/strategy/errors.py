"""Errors of strategy definition, lookup and evaluation."""

from quantdesk.model.errors import QuantdeskError


class StrategyError(QuantdeskError):
    """A strategy that cannot be found, configured or evaluated as asked."""


class UnknownStrategy(StrategyError):  # noqa: N818 - reads as what the user got wrong
    """No strategy of that name in ``strategies/`` and no importable ``module:Class``."""


class InvalidParams(StrategyError):  # noqa: N818
    """Parameters that are unknown or out of range for the strategy."""


class NotEnoughHistory(StrategyError):  # noqa: N818
    """Fewer bars than the strategy's warmup needs."""
