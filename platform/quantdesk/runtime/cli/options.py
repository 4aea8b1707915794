"""Parsing of repeated ``key=value`` command-line options."""

from __future__ import annotations

import click


def parse_mapping(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``("ts=Date", "close=Adj Close")`` → ``{"ts": "Date", "close": "Adj Close"}``.

    A pair without ``=`` is a usage error.
    """
    mapping: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE")
        mapping[key.strip()] = value.strip()
    return mapping
