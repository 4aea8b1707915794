"""Interactive Bokeh charts of a backtest: price with entries and exits, equity against the benchmark,
drawdown and exposure, linked on the time axis. Used by notebooks, ``--html`` reports and dashboards.

Bokeh is imported inside the functions, so importing this module costs nothing.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pandas as pd

_HEIGHT = 260


def _naive(index: pd.DatetimeIndex | pd.Series) -> pd.DatetimeIndex:
    # Bokeh's datetime axis is UTC already; handing it naive UTC times avoids its time-zone warning
    values = pd.DatetimeIndex(index)
    return values.tz_convert("UTC").tz_localize(None) if values.tz is not None else values


def backtest_figure(result: Any, *, width: int = 900) -> Any:
    """A Bokeh column: price (with fills), equity vs buy-and-hold, drawdown; shared, zoomable time axis."""
    from bokeh.layouts import column
    from bokeh.models import HoverTool
    from bokeh.plotting import figure

    tools = "pan,wheel_zoom,box_zoom,reset,save"
    symbol = result.symbols[0]
    synthetic = " (SYNTHETIC)" if result.bars.attrs.get("synthetic") else ""
    price = figure(
        title=f"{symbol}{synthetic}: close with fills",
        x_axis_type="datetime",
        width=width,
        height=_HEIGHT,
        tools=tools,
    )
    price.line(_naive(result.bars.index), result.bars["close"][symbol], color="#444444", legend_label="close")
    for side, color, marker in (("buy", "#2ca02c", "triangle"), ("sell", "#d62728", "inverted_triangle")):
        fills = result.fills[(result.fills["side"] == side) & (result.fills["symbol"] == symbol)]
        price.scatter(_naive(fills["ts"]), fills["price"], marker=marker, size=8, color=color, legend_label=side)
    price.legend.location = "top_left"
    price.legend.click_policy = "hide"

    equity = figure(
        title="Equity",
        x_axis_type="datetime",
        width=width,
        height=_HEIGHT,
        tools=tools,
        x_range=price.x_range,
    )
    equity.line(_naive(result.equity.index), result.equity, color="#1f77b4", legend_label=result.strategy, line_width=2)
    if result.benchmark is not None:
        equity.line(
            _naive(result.benchmark.equity.index), result.benchmark.equity, color="#999999", legend_label="buy & hold"
        )
    equity.add_tools(HoverTool(tooltips=[("time", "@x{%F}"), ("equity", "@y{0,0.00}")], formatters={"@x": "datetime"}))
    equity.legend.location = "top_left"

    drawdown = figure(title="Drawdown", x_axis_type="datetime", width=width, height=_HEIGHT // 2 + 40, tools=tools,
                      x_range=price.x_range)  # fmt: skip
    drawdown.varea(_naive(result.drawdown.index), 0.0, result.drawdown, color="#d62728", alpha=0.4)
    return column(price, equity, drawdown)


def metrics_html(result: Any) -> str:
    """The metrics table (strategy vs benchmark) as HTML."""
    frame = result.summary()
    rows = "".join(
        f"<tr><th>{html.escape(str(name))}</th>" + "".join(f"<td>{_fmt(v)}</td>" for v in row) + "</tr>"
        for name, row in frame.iterrows()
    )
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    return f"<table class='metrics'><tr><th></th>{head}</tr>{rows}</table>"


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    return f"{value:,.4f}" if isinstance(value, float) else html.escape(str(value))


def write_html_report(result: Any, path: Path | str) -> Path:
    """A standalone HTML file (Bokeh inlined, so it opens offline): charts, metrics, trades."""
    from bokeh.embed import file_html
    from bokeh.layouts import column
    from bokeh.models import Div
    from bokeh.resources import INLINE

    target = Path(path)
    params = ", ".join(f"{k}={v}" for k, v in result.params.items())
    trades = result.trades.copy()
    trades_html = trades.to_html(index=False, float_format=lambda v: f"{v:,.4f}", max_rows=500)
    header = Div(text=f"<h2>{html.escape(result.strategy)}({html.escape(params)}) on {', '.join(result.symbols)}</h2>")
    layout = column(
        header,
        Div(text=metrics_html(result)),
        backtest_figure(result),
        Div(text=f"<h3>Trades</h3>{trades_html}"),
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(file_html(layout, INLINE, title=f"QuantDesk backtest: {result.strategy}"))
    return target


def sweep_heatmap(table: pd.DataFrame, x: str, y: str, metric: str = "sharpe", *, width: int = 700) -> Any:
    """A Bokeh heatmap of ``metric`` over two swept parameters, with hover showing each cell."""
    from bokeh.models import ColorBar, LinearColorMapper
    from bokeh.palettes import Viridis256
    from bokeh.plotting import figure

    data = table[[x, y, metric]].copy()
    data["x"] = data[x].astype(str)
    data["y"] = data[y].astype(str)
    finite = data[metric].replace([float("inf"), float("-inf")], float("nan")).dropna()
    mapper = LinearColorMapper(palette=Viridis256, low=float(finite.min()) if len(finite) else 0.0,
                               high=float(finite.max()) if len(finite) else 1.0)  # fmt: skip
    fig = figure(
        title=f"{metric} by {x} × {y}",
        x_range=[str(v) for v in sorted(table[x].unique())],
        y_range=[str(v) for v in sorted(table[y].unique())],
        width=width,
        height=width * 3 // 4,
        tools="hover,tap,save,reset",
        tooltips=[(x, "@x"), (y, "@y"), (metric, f"@{metric}{{0.000}}")],
        x_axis_label=x,
        y_axis_label=y,
    )
    fig.rect("x", "y", 1, 1, source=data, fill_color={"field": metric, "transform": mapper}, line_color=None)
    fig.add_layout(ColorBar(color_mapper=mapper), "right")
    return fig
