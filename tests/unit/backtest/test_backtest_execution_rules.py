"""The execution convention on small candle tables, with the expected fills written beside them."""

from __future__ import annotations

import numpy as np
import pytest

from quantdesk.backtest.kernel import paths_nb, simulate_nb, simulate_single_nb
from quantdesk.backtest.orders import BacktestError, order_list, order_weights
from quantdesk.backtest.trades import T_OPEN, T_PNL, T_RETURN, trades_nb

NAN = np.nan


def run(opens, closes, targets, *, cash=1000.0, fee=0.0, fixed=0.0, slip=0.0, allow_short=True, leverage=1.0):
    o = np.array(opens, dtype=float).reshape(len(opens), -1)
    c = np.array(closes, dtype=float).reshape(len(closes), -1)
    w = np.array(targets, dtype=float).reshape(len(targets), -1)
    orders = order_weights(w, allow_short=allow_short, leverage=leverage)
    equity, fills, _ = simulate_nb(o, c, orders, cash, fee, fixed, slip)
    if w.shape[1] == 1:  # the one-symbol kernel must agree with the general one, bit for bit
        bars, weights = order_list(w, allow_short=allow_short, leverage=leverage)
        single = simulate_single_nb(o[:, 0], c[:, 0], bars, weights, cash, fee, fixed, slip)
        assert single[0].tobytes() == equity.tobytes()
        assert single[1].tobytes() == fills.tobytes()
    positions, cash_path = paths_nb(fills, len(c), c.shape[1], cash)
    return equity, cash_path, positions, fills[:, :5]


def test_decision_at_close_fills_at_next_open_sized_on_the_close() -> None:
    #          bar:   0     1     2     3
    opens = [10.0, 10.0, 8.0, 12.0]
    closes = [10.0, 10.0, 9.0, 12.0]
    target = [NAN, 1.0, 1.0, 0.0]  # long decided at bar 1's close, flat at bar 3's close (no bar 4: no fill)
    equity, cash, positions, fills = run(opens, closes, target)
    # at bar 2's open: 1000 / close(1)=10 → 100 shares wanted at 8.0 → 800 spent, 200 left
    assert fills.tolist() == [[2.0, 0.0, 100.0, 8.0, 0.0]]
    assert positions[:, 0].tolist() == [0.0, 0.0, 100.0, 100.0]
    assert cash.tolist() == [1000.0, 1000.0, 200.0, 200.0]
    assert equity.tolist() == [1000.0, 1000.0, 1100.0, 1400.0]


def test_a_buy_the_cash_cannot_pay_is_cut_to_what_it_can_including_fees() -> None:
    _, cash, _, fills = run([10, 10, 11], [10, 10, 11], [NAN, 1.0, NAN], fee=0.01)
    # wanted 100 shares at 11 (+1% fee) = 1111 > 1000 → 1000 / 1.01 of notional
    assert fills[0, 2] == pytest.approx(1000 / 1.01 / 11, rel=1e-12)
    assert fills[0, 4] == pytest.approx(1000 - 1000 / 1.01, rel=1e-12)
    assert cash[-1] == 0.0


def test_unchanged_target_is_not_traded_again_and_nan_keeps_the_position() -> None:
    _, _, positions, fills = run([10, 10, 20, 20, 20], [10, 10, 20, 20, 20], [1.0, 1.0, 1.0, NAN, 1.0])
    assert len(fills) == 1  # only the first 1.0; its repeats and the NaN trade nothing
    assert positions[-1, 0] == 100.0


def test_slippage_and_fixed_fee_on_a_round_trip() -> None:
    _, cash, _, fills = run([10, 10, 10, 10], [10, 10, 10, 10], [0.5, NAN, 0.0, NAN], slip=0.01, fixed=1.0)
    buy, sell = fills
    assert buy.tolist() == [1.0, 0.0, 50.0, pytest.approx(10.1), 1.0]
    assert sell.tolist() == [3.0, 0.0, -50.0, pytest.approx(9.9), 1.0]
    assert cash[-1] == pytest.approx(1000 - 50 * 10.1 - 1 + 50 * 9.9 - 1)


def test_shorting_off_turns_short_targets_flat() -> None:
    _, _, positions, fills = run([10] * 4, [10] * 4, [1.0, -1.0, NAN, NAN], allow_short=False)
    assert positions[:, 0].tolist() == [0.0, 100.0, 0.0, 0.0]
    assert len(fills) == 2


def test_short_sale_adds_its_proceeds_to_cash() -> None:
    equity, cash, positions, _ = run([10, 10, 8], [10, 10, 8], [-1.0, NAN, NAN])
    assert positions[:, 0].tolist() == [0.0, -100.0, -100.0]
    assert cash[1] == 2000.0
    assert equity.tolist() == [1000.0, 1000.0, 1200.0]


def test_leverage_cap_scales_gross_exposure() -> None:
    _, _, positions, _ = run([[10, 10]] * 3, [[10, 10]] * 3, [[1.0, -1.0], [NAN, NAN], [NAN, NAN]], leverage=1.0)
    assert positions[-1].tolist() == [50.0, -50.0]


def test_sells_go_before_buys_so_a_switch_is_funded_by_the_sale() -> None:
    opens = [[10, 10]] * 4
    target = [[1.0, 0.0], [NAN, NAN], [0.0, 1.0], [NAN, NAN]]
    _, cash, positions, fills = run(opens, opens, target)
    assert positions[-1].tolist() == [0.0, 100.0]
    assert fills[:, 1].tolist() == [0.0, 0.0, 1.0]  # bar 3: column 0 sold first, then column 1 bought
    assert cash[-1] == 0.0


def test_bad_leverage_and_infinite_weights_are_refused() -> None:
    with pytest.raises(BacktestError, match="leverage cap must be a positive number"):
        order_weights(np.ones((3, 1)), leverage=0.0)
    with pytest.raises(BacktestError, match="finite numbers or NaN"):
        order_weights(np.array([[np.inf]]))


def test_trades_are_round_trips_with_fees_and_flips_split() -> None:
    # buy 10 @ 10 (fee 1), sell 20 @ 12 (fee 2: flips to short 10), buy 10 @ 11 (fee 1)
    fills = np.array([[1, 0, 10, 10, 1], [2, 0, -20, 12, 2], [3, 0, 10, 11, 1]], dtype=float)
    trades = trades_nb(fills, np.array([11.0]), 3)
    assert trades[:, T_PNL].tolist() == [pytest.approx(20 - 1 - 1), pytest.approx(10 - 1 - 1)]
    assert trades[:, T_RETURN].tolist() == [pytest.approx(18 / 100), pytest.approx(8 / 120)]
    assert trades[:, T_OPEN].tolist() == [0.0, 0.0]


def test_a_trade_still_open_is_marked_at_the_last_close() -> None:
    trades = trades_nb(np.array([[1, 0, 5, 10, 0]], dtype=float), np.array([13.0]), 9)
    assert trades[0, T_PNL] == 15.0
    assert trades[0, T_OPEN] == 1.0
