"""Checks and the JSON body shared by the bus backends (private), so both accept and refuse the same input."""

from __future__ import annotations

import json
import os
import re
import socket
import uuid
from collections.abc import Mapping
from typing import Any, cast

from quantdesk.bus.port import BusError, Start

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
MAX_KEY_LENGTH = 512


def name(value: object, what: str) -> str:
    """A topic, group or consumer name: letters, digits and ``. _ -``, at most 128 characters."""
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise BusError(
            f"{what} must be 1-128 letters, digits or . _ - (starting with a letter or digit), got {value!r}"
        )
    return value


def key(value: object) -> str:
    """A publisher's idempotency key: printable, no whitespace, at most 512 characters."""
    if (
        not isinstance(value, str)
        or not value
        or len(value) > MAX_KEY_LENGTH
        or not value.isprintable()
        or any(c.isspace() for c in value)
    ):
        raise BusError(f"a message key must be 1-{MAX_KEY_LENGTH} printable characters without spaces, got {value!r}")
    return value


def message_id(given: str | None) -> str:
    """The publisher's key, or a fresh random id."""
    return uuid.uuid4().hex if given is None else key(given)


def dumps(payload: object) -> str:
    """``payload`` as compact JSON; a non-dict, NaN or a value JSON cannot hold is refused."""
    if not isinstance(payload, Mapping):
        raise BusError(f"a message payload must be a dict, got {type(payload).__name__}")
    try:
        return json.dumps(dict(payload), allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise BusError(f"a message payload must be JSON-safe (encode events with quantdesk.bus.encode): {exc}") from exc


def loads(body: str) -> dict[str, Any]:
    """The payload stored by :func:`dumps`."""
    payload: dict[str, Any] = json.loads(body)
    return payload


def start(value: object) -> Start:
    """``"earliest"`` or ``"latest"``."""
    if value not in ("earliest", "latest"):
        raise BusError(f"start must be 'earliest' or 'latest', got {value!r}")
    return cast(Start, value)


def options(claim_idle: object, max_deliveries: object) -> tuple[float, int | None]:
    """``claim_idle`` >= 0 seconds, ``max_deliveries`` None or >= 1."""
    if isinstance(claim_idle, bool) or not isinstance(claim_idle, int | float) or not claim_idle >= 0:
        raise BusError(f"claim_idle must be a number of seconds >= 0, got {claim_idle!r}")
    if max_deliveries is not None and (
        isinstance(max_deliveries, bool) or not isinstance(max_deliveries, int) or max_deliveries < 1
    ):
        raise BusError(f"max_deliveries must be None or an int >= 1, got {max_deliveries!r}")
    return float(claim_idle), max_deliveries


def poll_args(max_messages: object, timeout: object) -> tuple[int, float]:
    """``max_messages`` >= 1 and ``timeout`` >= 0 seconds."""
    if isinstance(max_messages, bool) or not isinstance(max_messages, int) or max_messages < 1:
        raise BusError(f"max_messages must be an int >= 1, got {max_messages!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout >= 0:
        raise BusError(f"timeout must be a number of seconds >= 0, got {timeout!r}")
    return max_messages, float(timeout)


def positive_int(value: object, what: str) -> int:
    """An int >= 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BusError(f"{what} must be an int >= 1, got {value!r}")
    return value


def consumer_name(given: str | None) -> str:
    """``given``, or ``<host>-<pid>-<random>``: unique, and it says where a stuck consumer ran."""
    if given is not None:
        return name(given, "consumer")
    host = re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname())[:64] or "host"
    return name(f"{host}-{os.getpid()}-{uuid.uuid4().hex[:8]}".lstrip("._-"), "consumer")
