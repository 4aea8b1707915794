"""Client order ids: deterministic, so a resubmission after a crash carries the id of the first attempt."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from quantdesk.model.errors import InvalidIdentifier
from quantdesk.model.ids import ClientOrderId, DeploymentId, Symbol

INTENTS = ("target", "stop", "take", "trail", "flat")
"""What an order is for; ``manual-<n>`` (n = 1, 2, ...) numbers a user's manual orders of one bar."""

MAX_LENGTH = 128  # the longest client order id venues take (Alpaca: 128 characters)

_MANUAL = re.compile(r"manual-[1-9][0-9]*")


def client_order_id(
    deployment_id: DeploymentId | str, bar_ts: datetime, symbol: Symbol | str, intent: str
) -> ClientOrderId:
    """``f"{deployment}:{bar_ts:%Y%m%dT%H%M%S}:{symbol}:{intent}"``: the same decision always gets the same id.

    ``bar_ts`` is the (UTC) label of the bar whose close made the decision; ``intent`` is one of
    :data:`INTENTS` or ``manual-<n>``. Raises :class:`InvalidIdentifier` for an unknown intent, a naive or
    sub-second timestamp, a deployment id holding ``:`` (the separator) or an id longer than
    :data:`MAX_LENGTH`.
    """
    deployment = deployment_id if isinstance(deployment_id, DeploymentId) else DeploymentId(deployment_id)
    if ":" in deployment.value:
        raise InvalidIdentifier(f"deployment id {deployment.value!r} must not contain ':' (the id separator)")
    instrument = symbol if isinstance(symbol, Symbol) else Symbol(symbol)
    if not isinstance(intent, str) or not (intent in INTENTS or _MANUAL.fullmatch(intent)):
        raise InvalidIdentifier(f"order intent must be one of {', '.join(INTENTS)} or manual-<n>, got {intent!r}")
    if not isinstance(bar_ts, datetime) or bar_ts.utcoffset() is None:
        raise InvalidIdentifier(f"bar_ts must be a timezone-aware datetime, got {bar_ts!r}")
    if bar_ts.microsecond:
        raise InvalidIdentifier(f"bar_ts must be on a whole second, got {bar_ts.isoformat()}")
    t = bar_ts.astimezone(UTC)
    stamp = f"{t.year:04d}{t.month:02d}{t.day:02d}T{t.hour:02d}{t.minute:02d}{t.second:02d}"  # %Y%m%dT%H%M%S
    value = f"{deployment.value}:{stamp}:{instrument.value}:{intent}"
    if len(value) > MAX_LENGTH:
        raise InvalidIdentifier(f"client order id {value!r} is longer than {MAX_LENGTH} characters")
    return ClientOrderId(value)
