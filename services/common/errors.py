"""The API's errors, and the handlers that turn every failure into ``{"detail": "..."}`` with the right status.

Services raise :class:`ApiError` subclasses (they know no HTTP framework); request validation failures become
422 with one readable line (and the structured errors, without the input that was sent, which may be a
password); a database that cannot be reached is 503; anything else is caught by
:class:`~services.common.middleware.InternalErrorMiddleware` as a plain 500.
"""

# ruff: noqa: N818 - the errors are named for the HTTP status they answer (NotFound, Conflict), not "...Error"
from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from quantdesk.persistence import PersistenceError

logger = logging.getLogger("services")


class ApiError(Exception):
    """A failure the client caused or must know about; ``detail`` is shown to them as is."""

    status_code = 400

    def __init__(self, detail: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = dict(headers or {})


class BadRequest(ApiError):
    status_code = 400


class Unauthorized(ApiError):
    """No credentials, or credentials that are not (or no longer) valid."""

    status_code = 401

    def __init__(self, detail: str) -> None:
        super().__init__(detail, {"WWW-Authenticate": "Bearer"})


class Forbidden(ApiError):
    status_code = 403


class NotFound(ApiError):
    status_code = 404


class Conflict(ApiError):
    status_code = 409


class Unprocessable(ApiError):
    status_code = 422


class TooManyRequests(ApiError):
    status_code = 429

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail, {"Retry-After": str(retry_after)})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(PersistenceError, _database_error)


def error_response(status_code: int, detail: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status_code, headers=dict(headers or {}))


async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
    return error_response(exc.status_code, exc.detail, exc.headers)


async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return error_response(exc.status_code, str(exc.detail), exc.headers)


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    logger.error("database error on %s %s: %s", request.method, request.url.path, exc)
    return error_response(503, "the database is unavailable; try again later")


async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [
        {"loc": list(error.get("loc", ())), "msg": _message(error), "type": error.get("type", "invalid")}
        for error in exc.errors()
    ]
    detail = "; ".join(f"{_where(error)}: {error['msg']}" for error in errors) or "invalid request"
    return JSONResponse({"detail": detail, "errors": errors}, status_code=422)


def _where(error: Mapping[str, Any]) -> str:
    parts = [str(part) for part in error["loc"]]
    if error["type"] == "json_invalid":
        return "body"
    if len(parts) > 1 and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or "request"


def _message(error: Mapping[str, Any]) -> str:
    kind = error.get("type")
    if kind == "json_invalid":
        loc, reason = error.get("loc", ()), (error.get("ctx") or {}).get("error", "not JSON")
        position = f" at character {loc[1]}" if len(loc) > 1 else ""
        return f"malformed JSON{position} ({reason})"
    if kind == "extra_forbidden":
        return "unknown field"
    return str(error.get("msg", "invalid")).removeprefix("Value error, ")
