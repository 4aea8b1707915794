"""Finding strategies: by name among the modules of the ``strategies`` package, or by ``"module:Class"``."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from quantdesk.strategy.base import Strategy
from quantdesk.strategy.errors import UnknownStrategy

STRATEGIES_PACKAGE = "strategies"


@dataclass(frozen=True)
class StrategyInfo:
    """What ``quantdesk strategies list`` shows of one strategy."""

    name: str
    cls: type[Strategy[Any]]
    summary: str
    default_symbols: tuple[str, ...]
    params: dict[str, Any]

    @property
    def path(self) -> str:
        return f"{self.cls.__module__}:{self.cls.__qualname__}"


def _strategy_classes(module: ModuleType) -> list[type[Strategy[Any]]]:
    return [
        obj
        for _, obj in inspect.getmembers(module, inspect.isclass)
        if issubclass(obj, Strategy)
        and obj is not Strategy
        and obj.__module__ == module.__name__
        and "name" in vars(obj)
    ]


def list_strategies() -> list[StrategyInfo]:
    """Every strategy in the ``strategies`` package, sorted by name."""
    package = importlib.import_module(STRATEGIES_PACKAGE)
    found = []
    for module_info in pkgutil.iter_modules(package.__path__):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{STRATEGIES_PACKAGE}.{module_info.name}")
        found.extend(_info(cls) for cls in _strategy_classes(module))
    return sorted(found, key=lambda s: s.name)


def get_strategy(spec: str) -> type[Strategy[Any]]:
    """The strategy class named ``spec`` (e.g. ``"trend_following"``) or at ``"package.module:Class"``."""
    if ":" in spec:
        module_name, _, class_name = spec.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise UnknownStrategy(f"cannot import module {module_name!r} for strategy {spec!r}: {exc}") from None
        cls = getattr(module, class_name, None)
        if not (inspect.isclass(cls) and issubclass(cls, Strategy)):
            raise UnknownStrategy(f"{spec!r} is not a Strategy class")
        return cls
    strategies = list_strategies()
    for info in strategies:
        if info.name == spec:
            return info.cls
    names = ", ".join(s.name for s in strategies)
    raise UnknownStrategy(f"unknown strategy {spec!r}: choose one of {names}, or give 'module:Class'")


def _info(cls: type[Strategy[Any]]) -> StrategyInfo:
    doc = inspect.getdoc(cls) or ""
    fields = {name: field.default for name, field in cls.params_model.model_fields.items() if not field.is_required()}
    return StrategyInfo(cls.name, cls, doc.splitlines()[0] if doc else "", cls.default_symbols, fields)
