"""The live cycle's order rules equal the vectorized engine's, row by row."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantdesk.backtest.orders import order_weights
from quantdesk.runtime.intents import TargetRules, size_orders

weights_st = st.lists(
    st.lists(st.sampled_from([math.nan, 0.0, 1.0, -1.0, 0.5, -0.5, 1.5]), min_size=2, max_size=2),
    min_size=2,
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(rows=weights_st, allow_short=st.booleans(), leverage=st.sampled_from([0.5, 1.0, 2.0]))
def test_incremental_rules_equal_the_vectorized_ones(
    rows: list[list[float]], allow_short: bool, leverage: float
) -> None:
    target = np.array(rows)
    expected = order_weights(target, allow_short=allow_short, leverage=leverage)
    rules = TargetRules(["A", "B"], allow_short=allow_short, leverage=leverage)
    for i, row in enumerate(rows[:-1]):
        acted = rules.decide({"A": row[0], "B": row[1]})
        got = [acted.get("A", math.nan), acted.get("B", math.nan)]
        np.testing.assert_array_equal(got, expected[i + 1])


def test_sizes_follow_the_weight_of_equity_at_the_close_and_sells_go_first() -> None:
    intents = size_orders(
        {"A": 0.0, "B": 1.0}, positions={"A": 10.0}, closes={"A": 50.0, "B": 20.0}, cash=500.0, symbols=["A", "B"]
    )
    assert [(i.symbol, i.quantity) for i in intents] == [("A", -10.0), ("B", 50.0)]
    assert intents[1].reference_price == 20.0


def test_an_order_that_would_not_change_the_position_is_not_sent() -> None:
    assert size_orders({"A": 1.0}, positions={"A": 10.0}, closes={"A": 50.0}, cash=0.0, symbols=["A"]) == []


def test_infinite_weight_is_refused() -> None:
    with pytest.raises(ValueError, match="finite number or NaN"):
        TargetRules(["A"]).decide({"A": math.inf})
