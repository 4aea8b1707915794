from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from quantdesk.portfolio import EquityCurve, EquitySnapshot, PortfolioError

D = Decimal
T0 = datetime(2024, 3, 4, 21, 0, tzinfo=UTC)


def snap(day: int, equity: str) -> EquitySnapshot:
    return EquitySnapshot(ts=T0 + timedelta(days=day), cash=D(equity), equity=D(equity), gross=D(0), net=D(0))


def test_portfolio_curve_tracks_peak_and_drawdown() -> None:
    curve = EquityCurve()
    # equity                    -> peak, drawdown (equity / peak - 1)
    for day, (equity, peak, drawdown) in enumerate(
        [("100", "100", "0"), ("120", "120", "0"), ("90", "120", "-0.25"), ("96", "120", "-0.2"), ("130", "130", "0")]
    ):
        curve.append(snap(day, equity))
        assert (curve.peak, curve.drawdown) == (D(peak), D(drawdown))
    assert len(curve) == 5
    assert curve.last == snap(4, "130")
    assert [s.equity for s in curve] == [D(100), D(120), D(90), D(96), D(130)]


def test_portfolio_curve_refuses_out_of_order_and_repeated_timestamps() -> None:
    curve = EquityCurve([snap(0, "100"), snap(2, "101")])
    with pytest.raises(PortfolioError, match="is not after the last one"):
        curve.append(snap(1, "102"))
    with pytest.raises(PortfolioError, match="is not after the last one"):
        curve.append(snap(2, "102"))
    assert len(curve) == 2
    assert curve.peak == D(101)


def test_portfolio_curve_to_rows() -> None:
    curve = EquityCurve([snap(0, "100"), snap(1, "99.5")])
    assert curve.to_rows() == [
        {"ts": T0, "cash": D(100), "equity": D(100), "gross": D(0), "net": D(0)},
        {"ts": T0 + timedelta(days=1), "cash": D("99.5"), "equity": D("99.5"), "gross": D(0), "net": D(0)},
    ]


def test_portfolio_empty_curve_has_no_peak_or_drawdown() -> None:
    curve = EquityCurve()
    assert curve.to_rows() == []
    for attribute in ("peak", "drawdown", "last"):
        with pytest.raises(PortfolioError, match="the equity curve is empty"):
            getattr(curve, attribute)


def test_portfolio_drawdown_needs_a_positive_peak() -> None:
    curve = EquityCurve([snap(0, "-5")])
    with pytest.raises(PortfolioError, match="positive peak equity, got -5"):
        _ = curve.drawdown


def test_portfolio_snapshot_refuses_bad_values() -> None:
    with pytest.raises(PortfolioError, match="timezone-aware"):
        EquitySnapshot(ts=datetime(2024, 1, 1), cash=D(1), equity=D(1), gross=D(0), net=D(0))
    with pytest.raises(PortfolioError, match=r"EquitySnapshot\.gross must be >= 0"):
        EquitySnapshot(ts=T0, cash=D(1), equity=D(1), gross=D(-1), net=D(0))
    with pytest.raises(PortfolioError, match="an equity curve holds EquitySnapshot"):
        EquityCurve().append({"ts": T0})  # type: ignore[arg-type]
