"""Backtests as jobs through the API: queued, run, polled to done; the report and the trade log are those of
``quantdesk.backtest`` on the same inputs, exactly; a user sees only their own jobs."""

from __future__ import annotations

import io
import json
from typing import Any

import pandas as pd
from apitest import *  # noqa: F403 - the API fixtures
from apitest import Api
from tradingtest import members, settings, wait_until  # noqa: F401 - settings: the bundled catalog

from quantdesk.backtest import backtest
from quantdesk.data.catalog import Catalog
from quantdesk.data.panel import load_panel
from quantdesk.execution.costs import Costs
from strategies.mean_reversion import MeanReversion

REQUEST = {
    "strategy": "mean_reversion",
    "symbols": ["IBM"],
    "params": {"window": 10, "entry": 1.5},
    "start": "2012-01-01",
    "end": "2012-12-31",
    "fees": 0.0005,
    "slippage": 0.0002,
    "cash": 50_000,
    "adjusted": True,
}


def _done(api: Api, token: str, job_id: str) -> dict[str, Any]:
    def ended() -> dict[str, Any] | None:
        body = api.get(f"/backtests/{job_id}", token=token).json()
        return body if body["status"] in ("done", "failed") else None

    return wait_until(ended, what=f"backtest {job_id} ending")


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, allow_nan=False))  # the summary holds no NaN: metrics give None


def test_a_backtest_job_runs_to_done_and_its_report_and_trades_match_the_engine_exactly(
    live_api: Api, database_url: str, bundled_catalog: Catalog
) -> None:
    alice = members(live_api, database_url, "alice")["alice"]
    submitted = live_api.post("/backtests", token=alice.access, json=REQUEST)
    assert submitted.status_code == 202
    job = submitted.json()
    assert job["id"].startswith("bt-")
    assert job["status"] in ("queued", "running", "done")
    done = _done(live_api, alice.access, job["id"])
    assert (done["status"], done["error"]) == ("done", None)

    bars = load_panel(bundled_catalog, ["IBM"], "1d", "2012-01-01", "2012-12-31", adjustment="adjusted")
    result = backtest(MeanReversion(window=10, entry=1.5, symbols=["IBM"]), bars,
                      costs=Costs.of(fees=0.0005, slippage=0.0002), cash=50_000)  # fmt: skip
    expected = {**result.to_json(), "adjustment": "adjusted"}
    assert done["result"] == _json_safe(expected)
    assert done["result"]["trades"] == int(result.metrics.trades) > 0
    report = live_api.get(f"/backtests/{job['id']}/report", token=alice.access)
    assert report.json() == {"id": job["id"], **_json_safe(expected)}

    csv = live_api.get(f"/backtests/{job['id']}/trades.csv", token=alice.access)
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert csv.headers["content-disposition"] == f'attachment; filename="{job["id"]}-trades.csv"'
    got = pd.read_csv(io.StringIO(csv.text))
    trades = result.trades
    assert list(got.columns) == list(trades.columns)
    assert len(got) == len(trades) > 0
    assert list(got["symbol"]) == list(trades["symbol"].astype(str))
    assert list(got["direction"]) == list(trades["direction"].astype(str))
    assert list(got["status"]) == list(trades["status"].astype(str))
    for column in ("entry_time", "exit_time"):
        assert list(pd.to_datetime(got[column])) == list(trades[column])
    assert [pd.Timedelta(v) for v in got["duration"]] == list(trades["duration"])
    for column in ("size", "entry_price", "exit_price", "fees", "pnl", "return"):
        assert got[column].tolist() == trades[column].tolist(), column  # exact: floats are written in full

    listed = live_api.get("/backtests", token=alice.access).json()
    assert [j["id"] for j in listed] == [job["id"]]


def test_bad_requests_are_422_a_job_without_data_fails_with_the_reason_and_jobs_are_private(
    api: Api, database_url: str
) -> None:
    people = members(api, database_url, "alice", "bob")
    alice, bob = people["alice"].access, people["bob"].access
    unknown = api.post("/backtests", token=alice, json={"strategy": "nope"})
    assert unknown.status_code == 422
    assert unknown.json()["detail"].startswith("unknown strategy 'nope': choose one of buy_and_hold, mean_reversion")
    bad_param = api.post("/backtests", token=alice, json={"strategy": "mean_reversion", "params": {"windw": 5}})
    assert bad_param.status_code == 422
    assert "unknown parameter 'windw'" in bad_param.json()["detail"]
    for body, field in (({"strategy": "mean_reversion", "cash": -1}, "cash"),
                        ({"strategy": "mean_reversion", "extra": 1}, "extra"),
                        ({"strategy": "../x:y"}, "strategy")):  # fmt: skip
        refused = api.post("/backtests", token=alice, json=body)
        assert refused.status_code == 422
        assert refused.json()["detail"].startswith(f"{field}: ")

    job = api.post("/backtests", token=alice, json={**REQUEST, "start": "2031-01-01", "end": "2031-12-31"}).json()
    failed = _done(api, alice, job["id"])
    assert failed["status"] == "failed"
    assert failed["error"].startswith("no bars between 2031-01-01 and 2031-12-31")
    report = api.get(f"/backtests/{job['id']}/report", token=alice)
    assert (report.status_code, report.json()["detail"]) == (
        409,
        f"backtest job {job['id']} is failed: {failed['error']}",
    )

    assert api.get(f"/backtests/{job['id']}", token=bob).status_code == 404
    assert api.get(f"/backtests/{job['id']}/trades.csv", token=bob).status_code == 404
    assert api.get("/backtests", token=bob).json() == []
    assert api.get("/backtests/bt-000000000000", token=alice).json() == {"detail": "no backtest job bt-000000000000"}
