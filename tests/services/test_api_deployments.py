"""Deployments through the API: created from the registry, run in the API process, their records served
as the database holds them, stopped, halted, and manual orders through the deployment's risk engine."""

from __future__ import annotations

import io
from decimal import Decimal

import pandas as pd
from apitest import *  # noqa: F403 - the API fixtures
from apitest import Api
from tradingtest import (  # noqa: F401 - settings: the bundled catalog
    deploy,
    finished,
    members,
    records,
    seed_version,
    settings,
    traded_bars,
    wait_until,
)

from quantdesk.model import OrderStatus

PACED = 86_400 / 0.02  # a daily bar every 20 ms: long enough to act on a running deployment
SLOW = 86_400 / 1.0  # a bar a second: it only moves on when told to


def _dec(value: str) -> Decimal:
    return Decimal(value)


def test_a_deployment_started_over_http_runs_and_its_records_and_reports_equal_the_database(
    live_api: Api, database_url: str
) -> None:
    seed_version(database_url)
    alice = members(live_api, database_url, "alice")["alice"]
    dep = deploy(live_api, alice.access, cash=50_000, speed=PACED)
    started = live_api.post(f"/deployments/{dep}/start", token=alice.access)
    assert started.status_code == 202
    assert (started.json()["status"], started.json()["last_run"]["running"]) == ("running", True)
    again = live_api.post(f"/deployments/{dep}/start", token=alice.access)
    assert (again.status_code, again.json()) == (409, {"detail": f"deployment {dep} is running already"})

    done = finished(live_api, alice.access, dep)
    assert (done["status"], done["trading_state"], done["last_run"]["outcome"]) == ("stopped", "active", "finished")
    assert done["last_bar"] == "2012-04-30T00:00:00Z"

    orders = records(database_url, dep, lambda uow, d: uow.orders.for_deployment(d))
    fills = records(database_url, dep, lambda uow, d: uow.fills.for_deployment(d))
    curve = records(database_url, dep, lambda uow, d: uow.equity.curve(d))
    held = records(database_url, dep, lambda uow, d: uow.positions.all(d))
    assert done["counts"] == {"orders": len(orders), "open_orders": 0, "fills": len(fills), "equity_points": 82}
    assert len(fills) >= 1

    got_orders = live_api.get(f"/deployments/{dep}/orders", token=alice.access).json()
    assert [(o["client_order_id"], o["status"], _dec(o["filled_quantity"]), _dec(o["avg_fill_price"]))
            for o in got_orders] == [(str(o.client_order_id), str(o.status), o.filled_quantity, o.avg_fill_price)
                                     for o in orders]  # fmt: skip
    got_fills = live_api.get(f"/deployments/{dep}/fills", token=alice.access).json()
    assert [(f["trade_id"], f["side"], _dec(f["quantity"]), _dec(f["price"]), _dec(f["fee"]), f["ts"])
            for f in got_fills] == [(str(f.trade_id), str(f.side), f.quantity, f.price, f.fee,
                                     f.ts.isoformat().replace("+00:00", "Z")) for f in fills]  # fmt: skip
    got_curve = live_api.get(f"/deployments/{dep}/equity", token=alice.access).json()
    assert [(_dec(p["cash"]), _dec(p["equity"])) for p in got_curve] == [(c, e) for _, c, e in curve]
    got_positions = live_api.get(f"/deployments/{dep}/positions", token=alice.access).json()
    assert [(p["symbol"], _dec(p["quantity"]), _dec(p["cost_basis"])) for p in got_positions] == [
        (str(s), p.quantity, p.cost_basis) for s, p in held.items()
    ]

    report = live_api.get(f"/deployments/{dep}/report", token=alice.access).json()
    assert (report["bars"], report["fills"], report["initial_cash"]) == (82, len(fills), 50_000.0)
    assert report["final_equity"] == float(curve[-1][2])
    assert report["metrics"]["final_equity"] == float(curve[-1][2])
    assert report["metrics"]["total_return"] == float(curve[-1][2]) / 50_000 - 1

    transactions = live_api.get(f"/deployments/{dep}/transactions.csv", token=alice.access)
    assert transactions.headers["content-disposition"] == f'attachment; filename="{dep}-transactions.csv"'
    table = pd.read_csv(io.StringIO(transactions.text), dtype=str)
    assert list(table.columns) == ["time", "symbol", "side", "quantity", "price", "fee", "cash_after",
                                   "client_order_id", "trade_id"]  # fmt: skip
    assert list(table["trade_id"]) == [str(f.trade_id) for f in fills]
    assert [Decimal(q) for q in table["quantity"]] == [f.quantity for f in fills]
    assert Decimal(table["cash_after"].iloc[-1]) == curve[-1][1]  # the ledger's cash after the last fill

    trades = pd.read_csv(io.StringIO(live_api.get(f"/deployments/{dep}/trades.csv", token=alice.access).text))
    assert trades["size"].sum() > 0
    assert len(trades) == report["trades"] + report["open_trades"]


def test_stop_ends_a_paced_run_at_once_and_start_resumes_where_it_stopped(api: Api, database_url: str) -> None:
    seed_version(database_url)
    alice = members(api, database_url, "alice")["alice"]
    dep = deploy(api, alice.access, speed=SLOW)
    assert api.post(f"/deployments/{dep}/start", token=alice.access).status_code == 202
    first = traded_bars(api, alice.access, dep)["last_bar"]
    stopped = api.post(f"/deployments/{dep}/stop", token=alice.access)
    assert stopped.status_code == 200
    assert stopped.json()["status"] == "stopped"
    ended = wait_until(lambda: not api.get(f"/deployments/{dep}", token=alice.access).json()["last_run"]["running"],
                       timeout=5, what="the stop")  # fmt: skip
    assert ended
    paused = api.get(f"/deployments/{dep}", token=alice.access).json()
    assert paused["counts"]["equity_points"] <= 3
    assert paused["last_run"]["outcome"] == "stopped"
    assert api.post(f"/deployments/{dep}/start", token=alice.access).status_code == 202
    wait_until(lambda: api.get(f"/deployments/{dep}", token=alice.access).json()["last_bar"] > paused["last_bar"],
               what="the resumed run trading")  # fmt: skip
    assert api.post(f"/deployments/{dep}/stop", token=alice.access).json()["last_bar"] > first


def test_a_manual_order_is_risk_checked_sent_with_a_manual_id_and_filled_at_the_next_bar(
    api: Api, database_url: str
) -> None:
    seed_version(database_url)
    alice = members(api, database_url, "alice")["alice"]
    profile = api.put("/users/me/risk-profile", token=alice.access, json={"max_order_notional": 5000})
    assert profile.status_code == 200
    dep = deploy(api, alice.access, speed=SLOW)
    not_running = api.post(f"/deployments/{dep}/orders", token=alice.access,
                           json={"symbol": "IBM", "side": "buy", "quantity": 1})  # fmt: skip
    assert (not_running.status_code, not_running.json()["detail"]) == (
        409, f"deployment {dep} is not running: start it (POST /deployments/{dep}/start)")  # fmt: skip
    api.post(f"/deployments/{dep}/start", token=alice.access)
    bar = traded_bars(api, alice.access, dep)["last_bar"]
    stamp = bar[:10].replace("-", "") + "T000000"

    denied = api.post(f"/deployments/{dep}/orders", token=alice.access,
                      json={"symbol": "IBM", "side": "buy", "quantity": 100})  # fmt: skip
    assert denied.status_code == 422
    assert denied.json()["detail"].startswith("order denied by the risk engine (MaxOrderNotional): IBM order notional ")
    assert denied.json()["detail"].endswith("exceeds max_order_notional 5,000.00")
    events = records(database_url, dep, lambda uow, d: uow.risk.events(d, kind="denied"))
    assert [(e.rule, e.details["client_order_id"]) for e in events] == [
        ("MaxOrderNotional", f"{dep}:{stamp}:IBM:manual-1")]  # fmt: skip

    sent = api.post(f"/deployments/{dep}/orders", token=alice.access,
                    json={"symbol": "IBM", "side": "buy", "quantity": "2"})  # fmt: skip
    assert sent.status_code == 202
    order = sent.json()
    assert (order["client_order_id"], order["status"], order["quantity"]) == (
        f"{dep}:{stamp}:IBM:manual-2", "accepted", "2")  # fmt: skip
    assert records(database_url, dep, lambda uow, d: uow.orders.intent(order["client_order_id"])) == "manual"
    api.post(f"/deployments/{dep}/stop", token=alice.access)  # the next bar fills it, then the run stops
    done = finished(api, alice.access, dep)
    fills = api.get(f"/deployments/{dep}/fills", token=alice.access).json()
    assert [(f["client_order_id"], f["quantity"]) for f in fills] == [(order["client_order_id"], "2")]
    assert fills[0]["ts"] > bar
    assert done["counts"]["open_orders"] == 0
    other_symbol = api.post(f"/deployments/{dep}/orders", token=alice.access,
                            json={"symbol": "MSFT", "side": "buy", "quantity": 1})  # fmt: skip
    assert other_symbol.status_code == 409


def test_the_kill_switch_cancels_open_orders_halts_and_a_halted_deployment_does_not_start(
    api: Api, database_url: str
) -> None:
    seed_version(database_url)
    alice = members(api, database_url, "alice")["alice"]
    dep = deploy(api, alice.access, speed=SLOW)
    api.post(f"/deployments/{dep}/start", token=alice.access)
    traded_bars(api, alice.access, dep)
    order = api.post(f"/deployments/{dep}/orders", token=alice.access,
                     json={"symbol": "IBM", "side": "buy", "quantity": 1}).json()  # fmt: skip
    killed = api.post(f"/deployments/{dep}/kill-switch", token=alice.access)
    assert killed.status_code == 200
    assert (killed.json()["trading_state"], killed.json()["status"]) == ("halted", "halted")
    assert killed.json()["counts"]["open_orders"] == 0
    finished(api, alice.access, dep)
    stored = records(database_url, dep, lambda uow, d: uow.orders.get(order["client_order_id"]))
    assert stored is not None
    assert stored.status is OrderStatus.CANCELED
    kinds = [e.kind for e in records(database_url, dep, lambda uow, d: uow.risk.events(d))]
    assert kinds.count("kill_switch") == 1
    refused = api.post(f"/deployments/{dep}/start", token=alice.access)
    assert (refused.status_code, refused.json()["detail"]) == (
        409, f"deployment {dep} is halted by its kill switch; it does not trade")  # fmt: skip


def test_creating_a_deployment_checks_the_registry_and_the_account(api: Api, database_url: str) -> None:
    seed_version(database_url)
    alice = members(api, database_url, "alice")["alice"]
    missing = api.post("/deployments", token=alice.access, json={"name": "nope"})
    assert (missing.status_code, missing.json()["detail"]) == (
        422, "no promoted strategy nope in the registry (see GET /registry)")  # fmt: skip
    assert api.post("/deployments", token=alice.access, json={"name": "mr", "version": 2}).status_code == 422
    for body, field in (({"name": "mr", "account": "ira"}, "account"), ({"name": "mr", "mode": "live"}, "mode"),
                        ({"name": "mr", "cash": 0}, "cash"), ({"name": "mr", "speed": -1}, "speed")):  # fmt: skip
        refused = api.post("/deployments", token=alice.access, json=body)
        assert (refused.status_code, refused.json()["detail"].split(":")[0]) == (422, field)
    margin = api.post("/deployments", token=alice.access, json={"name": "mr", "account": "margin", "cash": 1234.5})
    assert (margin.json()["account"], margin.json()["cash"], margin.json()["status"]) == ("margin", "1234.5", "created")
    assert [d["id"] for d in api.get("/deployments", token=alice.access).json()] == [margin.json()["id"]]
    assert api.get("/deployments/dep-000000000000", token=alice.access).json() == {
        "detail": "no deployment dep-000000000000"}  # fmt: skip
