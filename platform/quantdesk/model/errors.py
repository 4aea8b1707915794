"""The root of QuantDesk's exceptions: every error a user can cause is a :class:`QuantdeskError`."""


class QuantdeskError(Exception):
    """Base class of errors caused by input or state a user controls.

    They are shown as one line, never a traceback.
    """


class ModelError(QuantdeskError):
    """An object of the domain model was given something it cannot accept."""


# The model's errors are named for the condition (InvalidIdentifier, InvalidOrderTransition), not "...Error".
class InvalidValue(ModelError, ValueError):  # noqa: N818
    """A value a domain type refuses: a naive timestamp, a float for a Decimal, a quantity <= 0..."""


class InvalidIdentifier(InvalidValue):
    """An identifier that is empty, contains whitespace, or (for symbols) other characters not allowed."""


class InvalidTimeframe(InvalidValue):
    """A bar timeframe that cannot be parsed or is not supported."""


class InvalidOrderTransition(ModelError):  # noqa: N818
    """An event the order cannot apply in its current state; the order is left unchanged."""
