"""``quantdesk risk show / set``: the risk profile the risk engine enforces on a user's deployments."""

from __future__ import annotations

import json
from typing import Any

import click

_LIMITS: list[tuple[str, type, str]] = [
    ("max_weight_per_symbol", float, "Largest position in one symbol, as a fraction of equity (≤ 4)."),
    ("max_gross_exposure", float, "Largest Σ |positions| / equity after an order (1 = unlevered, ≤ 4)."),
    ("max_order_notional", float, "Largest order value in money."),
    ("max_orders_per_minute", int, "Orders allowed per minute."),
    ("price_collar_pct", float, "Deny prices further than this fraction from the last price (0.1 = 10%)."),
    ("duplicate_window_seconds", int, "Deny the same symbol/side/quantity again within this many seconds."),
    ("max_daily_loss", float, "Loss since the day's start that switches to REDUCING (fraction of equity)."),
    ("max_drawdown", float, "Drawdown from the peak that HALTS trading (fraction)."),
    ("stop_loss_pct", float, "Close a position this fraction below (long) / above (short) its entry."),
    ("take_profit_pct", float, "Close a position this fraction in its favour."),
    ("trailing_stop_pct", float, "Close a position this fraction off its best close since entry."),
]


def _options(func):
    for name, kind, text in reversed(_LIMITS):
        func = click.option(f"--{name.replace('_', '-')}", name, type=kind, help=text)(func)
    func = click.option("--allowed-symbols", help="Comma-separated symbols that may be traded ('' = all).")(func)
    short = click.option("--allow-short/--no-short", "allow_short", default=None, help="Whether shorting is allowed.")
    return short(func)


def _store():
    from quantdesk.config import load_settings
    from quantdesk.persistence import create_engine_for, session_factory, upgrade

    url = load_settings().resolved_database_url
    if url.startswith("sqlite"):
        upgrade(url)
    return session_factory(create_engine_for(url))


@click.group("risk")
def risk() -> None:
    """The risk profile of a user: limits checked before every order, and the states they trigger."""


@risk.command("show")
@click.option("--user", default="local", show_default=True)
@click.option("--json", "as_json", is_flag=True)
def show(user: str, as_json: bool) -> None:
    """Show the user's risk profile (the defaults when none was set)."""
    from quantdesk.model import UserId
    from quantdesk.persistence import transaction
    from quantdesk.risk import RiskProfile

    with transaction(_store()) as uow:
        found = uow.risk.find_profile(UserId(user))
    profile = RiskProfile.from_dict(found[1]) if found else RiskProfile()
    values = profile.to_dict()
    if as_json:
        click.echo(json.dumps({"user": user, "saved": found is not None, "profile": values}, indent=2))
        return
    click.echo(f"risk profile of {user}{'' if found else ' (defaults: none saved)'}")
    for key, value in values.items():
        click.echo(f"  {key:<26} {'—' if value in (None, []) else value}")


@risk.command("set")
@click.option("--user", default="local", show_default=True)
@_options
def set_(user: str, allowed_symbols: str | None, allow_short: bool | None, **limits: Any) -> None:
    """Change limits of the user's risk profile (the others keep their values)."""
    from quantdesk.model import UserId
    from quantdesk.persistence import transaction
    from quantdesk.risk import RiskProfile

    with transaction(_store()) as uow:
        found = uow.risk.find_profile(UserId(user))
        current = RiskProfile.from_dict(found[1]) if found else RiskProfile()
        changes: dict[str, Any] = {k: str(v) if isinstance(v, float) else v for k, v in limits.items() if v is not None}
        if allowed_symbols is not None:
            changes["allowed_symbols"] = [s.strip().upper() for s in allowed_symbols.split(",") if s.strip()]
        if allow_short is not None:
            changes["allow_short"] = allow_short
        profile = RiskProfile.from_dict({**current.to_dict(), **changes})
        uow.risk.save_profile(UserId(user), "default", _storable(profile.to_dict()))
    click.echo(f"risk profile of {user} saved")


def _storable(values: dict[str, Any]) -> dict[str, Any]:
    """The profile's values in the types the store keeps (see RISK_PROFILE_FIELDS)."""
    from decimal import Decimal

    from quantdesk.persistence import RISK_PROFILE_FIELDS

    out: dict[str, Any] = {}
    for name, kind in RISK_PROFILE_FIELDS.items():
        value = values[name]
        out[name] = (
            value
            if value is None or kind in (list, bool)
            else (Decimal(str(value)) if kind is Decimal else kind(value))
        )
    return out
