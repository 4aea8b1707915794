"""QuantDesk: one engine for research, paper and live trading.

The package mirrors the trading pipeline; see the repository README for the map.
Nothing is imported eagerly here so that ``import quantdesk`` stays cheap.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("quantdesk")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__", "promote"]


def __getattr__(name: str) -> object:
    # notebook conveniences, imported on first use so that ``import quantdesk`` stays cheap
    if name == "promote":
        from quantdesk.runtime.promotion import promote_strategy

        return promote_strategy
    raise AttributeError(f"module 'quantdesk' has no attribute {name!r}")
