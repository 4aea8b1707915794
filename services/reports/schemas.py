"""Path parameters of the report endpoints (the answers are JSON objects and CSV text)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

BacktestJobId = Annotated[str, Path(pattern=r"^bt-[0-9a-f]{12}$")]
