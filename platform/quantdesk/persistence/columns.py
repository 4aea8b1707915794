"""Column types that keep money exact and time in UTC on every backend.

* :class:`ExactDecimal`: ``NUMERIC`` without precision on PostgreSQL (exact, any scale); the canonical
  decimal string on SQLite, whose NUMERIC affinity would store a REAL (15-17 digits) and lose quantities
  such as ``Decimal(repr(95.23809523809524))`` or a 28-digit average price.
* :class:`UTCDateTime`: ``TIMESTAMP WITH TIME ZONE`` on PostgreSQL; on SQLite, which has no zones, the UTC
  wall time as fixed-width ISO text (so it sorts), read back as tz-aware UTC.
* :data:`JSON_TYPE`: ``JSONB`` on PostgreSQL, JSON text on SQLite.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, Numeric, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

from quantdesk.model.ids import Identifier
from quantdesk.persistence.errors import PersistenceError

JSON_TYPE = JSON().with_variant(JSONB(), "postgresql")


class ExactDecimal(TypeDecorator[Decimal]):
    """A :class:`~decimal.Decimal` stored without rounding; floats are refused (they are not exact)."""

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String())
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            raise TypeError(f"a Decimal column needs a Decimal or int, got {type(value).__name__} {value!r}")
        value = Decimal(value)
        if not value.is_finite():
            raise ValueError(f"a Decimal column needs a finite value, got {value}")
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(str(value))


class UTCDateTime(TypeDecorator[datetime]):
    """A tz-aware datetime, stored and returned in UTC; naive datetimes are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def as_utc(value: object, what: str = "timestamp") -> datetime:
    """``value`` as a plain :class:`datetime` in UTC (a pandas Timestamp becomes one, to the microsecond)."""
    if not isinstance(value, datetime):
        raise PersistenceError(f"{what} must be a datetime, got {type(value).__name__} {value!r}")
    if value.utcoffset() is None:
        raise PersistenceError(f"{what} must be timezone-aware (UTC), got naive {value.isoformat()}")
    if type(value) is not datetime:
        value = datetime(*value.timetuple()[:6], value.microsecond, tzinfo=value.tzinfo)
    return value.astimezone(UTC)


def _json_default(value: object) -> object:
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        return _finite(value.tolist())  # numpy scalars and arrays, without importing numpy here
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Identifier):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    raise TypeError(f"{type(value).__name__} {value!r} cannot be stored as JSON")


def _finite(value: object) -> object:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {(key.value if isinstance(key, Identifier) else key): _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def dumps(value: object) -> str:
    """JSON for the JSON columns: Decimals as strings (exact), datetimes as UTC ISO 8601, ids as strings,
    numpy values as Python ones; NaN and infinities (which JSON cannot hold) become null."""
    return json.dumps(_finite(value), default=_json_default, allow_nan=False, separators=(",", ":"))


def jsonable(value: Any) -> Any:
    """``value`` as the JSON columns give it back (Decimals as strings...), so what a repository returns
    right after a write equals what it returns when reading the row later."""
    try:
        return json.loads(dumps(value))
    except (TypeError, ValueError) as exc:
        raise PersistenceError(f"cannot store as JSON: {exc}") from None
