"""Answers of the health endpoints."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    database: Literal["ok", "unavailable", "not checked"]


class Unhealthy(Health):
    """The 503 answer: the usual error shape, with the checks."""

    detail: str
