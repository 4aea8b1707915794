"""A research request (strategy, symbols, parameters, data range, costs) as backtests and promotions take it,
checked at the door: an unknown strategy or bad parameters answer 422 before any work is queued."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, FiniteFloat, StrictBool, StrictInt, StringConstraints

from quantdesk.data.catalog import Catalog
from quantdesk.execution.costs import Costs
from quantdesk.model import QuantdeskError
from quantdesk.persistence import PersistenceError
from quantdesk.runtime.research import ResearchInput, build_strategy, research_input
from quantdesk.strategy.base import Strategy
from services.common.errors import Unprocessable
from services.common.schemas import RequestBody

StrategyName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
SymbolText = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9./_-]{0,31}$")]
ParamName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
ParamValue = StrictBool | StrictInt | FiniteFloat | Annotated[str, StringConstraints(max_length=200)]
Timeframe = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,4}[a-zA-Z]{1,3}$")]


class ResearchIn(RequestBody):
    """A strategy of ``strategies/`` (by name), configured, on the catalog's bars."""

    strategy: StrategyName = Field(description="a name from GET /strategies")
    symbols: list[SymbolText] | None = Field(default=None, min_length=1, max_length=2,
                                             description="default: the strategy's")  # fmt: skip
    params: dict[ParamName, ParamValue] = Field(default_factory=dict, max_length=50)
    timeframe: Timeframe = "1d"
    start: date | None = None
    end: date | None = None
    fees: FiniteFloat = Field(default=0.001, ge=0, le=0.1, description="fraction of notional (0.001 = 0.1 %)")
    slippage: FiniteFloat = Field(default=0.0, ge=0, le=0.1, description="fraction of price")
    cash: FiniteFloat = Field(default=100_000.0, gt=0, le=1e12)
    adjusted: StrictBool | None = Field(default=None, description="default: adjusted prices where available")
    allow_short: StrictBool = True
    leverage: FiniteFloat = Field(default=1.0, gt=0, le=4)

    @property
    def costs(self) -> Costs:
        return Costs.of(fees=self.fees, slippage=self.slippage)


def configured(body: ResearchIn) -> Strategy[Any]:
    """The strategy built from the request; 422 naming an unknown strategy or a bad parameter."""
    try:
        return build_strategy(body.strategy, body.symbols, body.params)
    except QuantdeskError as exc:
        raise Unprocessable(str(exc)) from None


def load(catalog: Catalog, body: ResearchIn, quarantine_dir: Path) -> ResearchInput:
    """The configured strategy and its bars from the catalog (:class:`QuantdeskError` if there are none)."""
    adjustment = None if body.adjusted is None else ("adjusted" if body.adjusted else "raw")
    return research_input(
        catalog, body.strategy, symbols=body.symbols, params=body.params, timeframe=body.timeframe,
        start=_day(body.start), end=_day(body.end), adjustment=adjustment, quarantine_dir=quarantine_dir,
    )  # fmt: skip


def unprocessable(exc: QuantdeskError) -> Exception:
    """What a research failure answers: 422 with its message; a database failure stays one (503)."""
    return exc if isinstance(exc, PersistenceError) else Unprocessable(str(exc))


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()
