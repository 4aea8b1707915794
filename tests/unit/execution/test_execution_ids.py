"""Client order ids: deterministic per decision, and refusing what would make them ambiguous."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from quantdesk.execution import client_order_id
from quantdesk.model import ClientOrderId, DeploymentId, InvalidIdentifier, Symbol

TS = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)


def test_the_id_names_deployment_bar_symbol_and_intent() -> None:
    cid = client_order_id(DeploymentId("trend-1"), TS, Symbol("AAPL"), "target")
    assert cid == ClientOrderId("trend-1:20240304T143000:AAPL:target")


def test_the_same_decision_always_gets_the_same_id_and_strings_are_accepted() -> None:
    assert client_order_id("trend-1", TS, "aapl", "stop") == client_order_id(
        DeploymentId("trend-1"), TS, Symbol("AAPL"), "stop"
    )


def test_other_time_zones_are_written_in_utc() -> None:
    new_york = timezone(timedelta(hours=-5))
    assert client_order_id("d", TS.astimezone(new_york), "AAPL", "flat").value == "d:20240304T143000:AAPL:flat"


@pytest.mark.parametrize("intent", ["target", "stop", "take", "trail", "flat", "manual-1", "manual-12"])
def test_known_intents(intent: str) -> None:
    assert client_order_id("d", TS, "AAPL", intent).value.endswith(f":{intent}")


@pytest.mark.parametrize("intent", ["", "buy", "manual", "manual-0", "manual-x", "Target", "manual-1 "])
def test_unknown_intents_are_refused(intent: str) -> None:
    with pytest.raises(InvalidIdentifier, match="intent"):
        client_order_id("d", TS, "AAPL", intent)


@pytest.mark.parametrize(
    ("deployment", "ts", "match"),
    [
        ("d", TS.replace(tzinfo=None), "timezone-aware"),
        ("d", TS.replace(microsecond=5), "whole second"),
        ("a:b", TS, "must not contain ':'"),
        ("d" * 120, TS, "longer than 128"),
    ],
)
def test_ids_that_would_be_ambiguous_or_too_long_are_refused(deployment: str, ts: datetime, match: str) -> None:
    with pytest.raises(InvalidIdentifier, match=match):
        client_order_id(deployment, ts, "AAPL", "target")
